// ControllerCredentialStore and long user names: a name anyone may send before
// authentication must not stay in the broker's memory. Found by test/fuzz/sasl-fuzz.test.ts:
// PLAIN and SCRAM attempts with unknown names of up to 200 KB were each cached (for both
// SCRAM mechanisms), so heap grew with every attempt — 10,000 entries of such names would
// be gigabytes. Names longer than maxCachedNameChars are now looked up each time and never
// cached; short ones are cached as before, and a long name's credential is still found.

import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { Controller, MemoryMetadataStore, ScramMechanismCode, scramKeys } from '@stratus/controller';
import { CONTROLLER_CREDENTIALS_DEFAULTS, ControllerCredentialStore } from '../../../src/auth/sasl/controller-credential-store.ts';

const SHA512 = ScramMechanismCode.SCRAM_SHA_512;

describe('ControllerCredentialStore with long user names', () => {
  const open: { controller: Controller; store: ControllerCredentialStore }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      o.store.close();
      await o.controller.close();
    }
  });

  async function setup() {
    const controller = await Controller.open({ store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore(), clock: new ManualClock(), random: new SeededRandom(5), onBackgroundError: () => undefined });
    let lookups = 0;
    const counted = {
      metadata: () => controller.metadata(),
      watch: controller.watch.bind(controller),
      scramCredential: (user: string, mechanism: number) => {
        lookups++;
        return controller.scramCredential(user, mechanism);
      },
    };
    const store = new ControllerCredentialStore({ controller: counted, nowMs: () => 0 });
    open.push({ controller, store });
    return { controller, store, lookups: () => lookups };
  }

  it('does not cache names over maxCachedNameChars, unknown or known, and caches short ones', async () => {
    const { controller, store, lookups } = await setup();
    const limit = CONTROLLER_CREDENTIALS_DEFAULTS.maxCachedNameChars;
    for (let i = 0; i < 50; i++) expect(await store.scramCredential(`${i}-${'u'.repeat(100_000)}`, 'SCRAM-SHA-512')).toBeUndefined();
    expect(store.size).toBe(0);
    expect(lookups()).toBe(50);

    // A user whose name is long still logs in: found every time, from the controller.
    const long = 'l'.repeat(limit + 1);
    const salt = randomBytes(32);
    await controller.alterScramCredentials([], [{ user: long, mechanism: SHA512, iterations: 4096, salt, ...scramKeys(SHA512, pbkdf2Sync('pw-long-user', salt, 4096, 64, 'sha512')) }]);
    expect((await store.scramCredential(long, 'SCRAM-SHA-512'))?.salt).toEqual(salt);
    expect((await store.scramCredential(long, 'SCRAM-SHA-512'))?.salt).toEqual(salt);
    expect(lookups()).toBe(52);
    expect(store.size).toBe(0);

    // At the limit: cached as before.
    await store.scramCredential('s'.repeat(limit), 'SCRAM-SHA-512');
    await store.scramCredential('s'.repeat(limit), 'SCRAM-SHA-512');
    expect(lookups()).toBe(53);
    expect(store.size).toBe(1);
  });
});
