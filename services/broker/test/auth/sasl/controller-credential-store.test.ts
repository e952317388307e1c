// ControllerCredentialStore against a real in-process Controller: credentials stored with
// alterScramCredentials are found (and a password checks against them), lookups are cached
// and bounded, a change anywhere (the SCRAM version in the metadata watch) drops the cache
// so a changed or removed password counts for the next lookup, a configured user wins over
// the controller's credential of the same name, and concurrent lookups share one call.

import { afterEach, describe, expect, it } from 'vitest';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { Controller, MemoryMetadataStore, ScramMechanismCode, scramKeys } from '@stratus/controller';
import type { ScramUpsertion } from '@stratus/controller';
import { ControllerCredentialStore, StaticCredentialStore } from '../../../src/auth/sasl/index.ts';
import { passwordMatches } from '../../../src/auth/sasl/scram.ts';

const SHA512 = ScramMechanismCode.SCRAM_SHA_512;

function upsertion(user: string, password: string): ScramUpsertion {
  const salt = randomBytes(32);
  return { user, mechanism: SHA512, iterations: 4096, salt, ...scramKeys(SHA512, pbkdf2Sync(password, salt, 4096, 64, 'sha512')) };
}

describe('ControllerCredentialStore', () => {
  const open: { controller: Controller; store: ControllerCredentialStore }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.store.close();
      await o.controller.close();
    }
  });

  async function setup(options: { maxEntries?: number; ttlMs?: number; bootstrap?: StaticCredentialStore } = {}) {
    const controller = await Controller.open({ store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore(), clock: new ManualClock(), random: new SeededRandom(3), onBackgroundError: () => undefined });
    let lookups = 0;
    let down = false;
    const counted = {
      metadata: () => controller.metadata(),
      watch: controller.watch.bind(controller),
      scramCredential: (user: string, mechanism: number) => {
        lookups++;
        return down ? Promise.reject(new Error('controller unavailable')) : controller.scramCredential(user, mechanism);
      },
    };
    let now = 0;
    const store = new ControllerCredentialStore({ controller: counted, nowMs: () => now, ...options });
    open.push({ controller, store });
    return { controller, store, lookups: () => lookups, advance: (ms: number) => (now += ms), setDown: (d: boolean) => (down = d) };
  }

  it('finds stored credentials, caches them, and drops the cache when credentials change', async () => {
    const { controller, store, lookups } = await setup();
    await controller.alterScramCredentials([], [upsertion('alice', 'first-password')]);
    const first = await store.scramCredential('alice', 'SCRAM-SHA-512');
    expect(first).toBeDefined();
    expect(await passwordMatches('sha512', first!, 'first-password')).toBe(true);
    expect(await passwordMatches('sha512', first!, 'other')).toBe(false);
    expect(await store.scramCredential('alice', 'SCRAM-SHA-256')).toBeUndefined();
    expect(await store.scramCredential('nobody', 'SCRAM-SHA-512')).toBeUndefined();
    const asked = lookups();
    await store.scramCredential('alice', 'SCRAM-SHA-512');
    await store.scramCredential('nobody', 'SCRAM-SHA-512');
    expect(lookups()).toBe(asked);

    // A new password: the next lookup sees it (no waiting for the cache to expire).
    await controller.alterScramCredentials([], [upsertion('alice', 'second-password')]);
    const second = await store.scramCredential('alice', 'SCRAM-SHA-512');
    expect(await passwordMatches('sha512', second!, 'second-password')).toBe(true);
    expect(await passwordMatches('sha512', second!, 'first-password')).toBe(false);
    // Removed: gone at once.
    await controller.alterScramCredentials([{ user: 'alice', mechanism: SHA512 }], []);
    expect(await store.scramCredential('alice', 'SCRAM-SHA-512')).toBeUndefined();
    // A user created after a miss was cached is found at once too.
    await controller.alterScramCredentials([], [upsertion('nobody', 'now-somebody')]);
    expect(await store.scramCredential('nobody', 'SCRAM-SHA-512')).toBeDefined();
  });

  it('bounds the cache, expires entries, and makes one controller call for concurrent lookups', async () => {
    const { store, lookups, advance } = await setup({ maxEntries: 3, ttlMs: 1000 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((u) => store.scramCredential(u, 'SCRAM-SHA-512')));
    expect(store.size).toBe(3);
    const before = lookups();
    await Promise.all(Array.from({ length: 10 }, () => store.scramCredential('probe', 'SCRAM-SHA-512')));
    expect(lookups()).toBe(before + 1);
    await store.scramCredential('probe', 'SCRAM-SHA-512');
    expect(lookups()).toBe(before + 1);
    advance(1000);
    await store.scramCredential('probe', 'SCRAM-SHA-512');
    expect(lookups()).toBe(before + 2);
    expect(store.size).toBe(3);
  });

  it('uses an expired entry while the controller cannot answer, and fails a lookup it has nothing for', async () => {
    const { controller, store, advance, setDown } = await setup({ ttlMs: 1000 });
    await controller.alterScramCredentials([], [upsertion('alice', 'the-password')]);
    expect(await store.scramCredential('alice', 'SCRAM-SHA-512')).toBeDefined();
    advance(5000);
    setDown(true);
    const stale = await store.scramCredential('alice', 'SCRAM-SHA-512');
    expect(await passwordMatches('sha512', stale!, 'the-password')).toBe(true);
    await expect(store.scramCredential('bob', 'SCRAM-SHA-512')).rejects.toThrow('controller unavailable');
    setDown(false);
    expect(await store.scramCredential('bob', 'SCRAM-SHA-512')).toBeUndefined();
  });

  it('lets a configured user win over the controller credential of the same name', async () => {
    const bootstrap = new StaticCredentialStore([{ name: 'admin', password: 'configured-secret' }], 4096);
    const { controller, store, lookups } = await setup({ bootstrap });
    await controller.alterScramCredentials([], [upsertion('admin', 'taken-over')]);
    const c = await store.scramCredential('admin', 'SCRAM-SHA-512');
    expect(await passwordMatches('sha512', c!, 'configured-secret')).toBe(true);
    expect(await passwordMatches('sha512', c!, 'taken-over')).toBe(false);
    expect(lookups()).toBe(0);
  });
});
