// The controller election lease against a real redis-server: acquire, renew, release
// and expiry (Redis' PX), takeover by a second holder with a strictly larger epoch, the
// fencing of a metadata store opened with the older epoch, and the ControllerLeaseKeeper's
// scheduling (renewals, stepping down when renewals fail, failover time) with short
// lease times on the system clock — expiry is Redis' own, so the time is real.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '@stratus/runtime';
import { RedisServer } from '@stratus/controller/testing';
import { FencedError } from '../src/store/fenced-error.ts';
import { RedisMetadataStore } from '../src/store/redis-store.ts';
import { ControllerLeaseKeeper } from '../src/lease/lease-keeper.ts';
import type { LeaseBackend } from '../src/lease/lease-keeper.ts';
import { LeaseError, RedisControllerLease } from '../src/lease/redis-lease.ts';

let redis: RedisServer;
let prefixes = 0;
const leases: RedisControllerLease[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});

afterAll(async () => {
  await Promise.all(leases.map((l) => l.close()));
  await redis?.cleanup();
});

async function openLease(prefix: string): Promise<RedisControllerLease> {
  const lease = await RedisControllerLease.open({ url: `${redis.url}?prefix=${prefix}` });
  leases.push(lease);
  return lease;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('RedisControllerLease', () => {
  it('gives the lease to one holder at a time, each new holder a larger epoch', async () => {
    const prefix = `lease${prefixes++}:`;
    const lease = await openLease(prefix);
    expect(await lease.current()).toEqual({ holder: null, epoch: 0 });
    const a = await lease.acquire('controller-a', 60_000);
    expect(a).toEqual({ acquired: true, epoch: 1 });
    // Retrying an acquire (a lost reply) gives the same lease back, not a new epoch.
    expect(await lease.acquire('controller-a', 60_000)).toEqual({ acquired: true, epoch: 1 });
    const b = await lease.acquire('controller-b', 60_000);
    expect(b.acquired).toBe(false);
    if (!b.acquired) {
      expect(b.holder.holderId).toBe('controller-a');
      expect(b.holder.epoch).toBe(1);
      expect(b.holder.remainingMs).toBeGreaterThan(50_000);
    }
    expect(await lease.renew('controller-a', 1, 60_000)).toBe(true);
    expect(await lease.renew('controller-b', 1, 60_000)).toBe(false);
    expect(await lease.renew('controller-a', 2, 60_000)).toBe(false);
    expect(await lease.release('controller-b', 1)).toBe(false);
    expect(await lease.release('controller-a', 1)).toBe(true);
    expect(await lease.current()).toEqual({ holder: null, epoch: 1 });
    expect(await lease.acquire('controller-b', 60_000)).toEqual({ acquired: true, epoch: 2 });
    expect(await lease.renew('controller-a', 1, 60_000)).toBe(false);
    const now = await lease.current();
    expect(now.epoch).toBe(2);
    expect(now.holder).toMatchObject({ holderId: 'controller-b', epoch: 2 });
  });

  it('expires by Redis time: a second holder takes over with a strictly larger epoch and the first cannot renew', async () => {
    const prefix = `lease${prefixes++}:`;
    const lease = await openLease(prefix);
    const epochs: number[] = [];
    for (let round = 0; round < 3; round++) {
      const holder = round % 2 === 0 ? 'a' : 'b';
      const won = await lease.acquire(holder, 150);
      expect(won.acquired).toBe(true);
      if (won.acquired) epochs.push(won.epoch);
      const other = await lease.acquire(holder === 'a' ? 'b' : 'a', 150);
      expect(other.acquired).toBe(false);
      await sleep(200);
      expect(await lease.renew(holder, epochs.at(-1)!, 150)).toBe(false);
    }
    expect(epochs).toEqual([1, 2, 3]);
  });

  it('fences a metadata store opened with an older epoch; the new holder’s store proceeds', async () => {
    const prefix = `lease${prefixes++}:`;
    const lease = await openLease(prefix);
    const a = await lease.acquire('a', 60_000);
    if (!a.acquired) throw new Error('a did not acquire');
    const storeA = await RedisMetadataStore.open({ url: `${redis.url}?prefix=${prefix}`, epoch: a.epoch });
    await (await storeA.load()).batches[Symbol.asyncIterator]().next();
    expect(await storeA.append([{ type: 'ProducerIdsAllocated', firstProducerId: 0, size: 1 }])).toBe(0);
    // A stalls (a GC pause, a partition); its lease is taken over.
    await lease.release('a', a.epoch);
    const b = await lease.acquire('b', 60_000);
    if (!b.acquired) throw new Error('b did not acquire');
    expect(b.epoch).toBeGreaterThan(a.epoch);
    const storeB = await RedisMetadataStore.open({ url: `${redis.url}?prefix=${prefix}`, epoch: b.epoch });
    const loaded = await storeB.load();
    const batches = [];
    for await (const batch of loaded.batches) batches.push(batch.seq);
    expect(batches).toEqual([0]);
    const stale = storeA.append([{ type: 'ProducerIdsAllocated', firstProducerId: 1, size: 1 }]);
    await expect(stale).rejects.toBeInstanceOf(FencedError);
    await expect(stale).rejects.toMatchObject({ writerEpoch: a.epoch, currentEpoch: b.epoch });
    expect(await storeB.append([{ type: 'ProducerIdsAllocated', firstProducerId: 2, size: 1 }])).toBe(1);
    await expect(storeA.append([{ type: 'ProducerIdsAllocated', firstProducerId: 3, size: 1 }])).rejects.toBeInstanceOf(FencedError);
    // A store opened with the old epoch is refused at load already.
    const late = await RedisMetadataStore.open({ url: `${redis.url}?prefix=${prefix}`, epoch: a.epoch });
    await expect(late.load()).rejects.toBeInstanceOf(FencedError);
    await Promise.all([storeA.close(), storeB.close(), late.close()]);
  });

  it('with wait=1, counts an acquire only once a replica has it; a retry by the same holder keeps the epoch', async () => {
    const prefix = `lease${prefixes++}:`;
    const lonely = await RedisControllerLease.open({ url: `${redis.url}?prefix=${prefix}&wait=1&waitTimeoutMs=50` });
    leases.push(lonely);
    await expect(lonely.acquire('a', 60_000)).rejects.toThrow(/controller lease acquire at .*: only 0 of 1 replica\(s\) acknowledged within 50 ms \(WAIT\)/);
    // The lease is on the master, not known to be replicated: a retry gets the same epoch (it is not handed out twice).
    await expect(lonely.acquire('a', 60_000)).rejects.toThrow(/only 0 of 1/);
    const plain = await openLease(prefix);
    expect(await plain.current()).toMatchObject({ epoch: 1, holder: { holderId: 'a', epoch: 1 } });
    expect(await plain.acquire('a', 60_000)).toEqual({ acquired: true, epoch: 1 });
  });

  it('refuses bad holder ids and lease times, and fails clearly when Redis is unreachable', async () => {
    const lease = await openLease(`lease${prefixes++}:`);
    await expect(lease.acquire('has space', 1000)).rejects.toThrow(/without whitespace/);
    await expect(lease.acquire('a', 5)).rejects.toThrow(/lease time must be an integer from 10/);
    const dead = await RedisServer.start();
    const url = dead.url;
    await dead.cleanup();
    await expect(RedisControllerLease.open({ url: `${url}?connectTimeoutMs=500` })).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:\d+\?connectTimeoutMs=500 is unreachable: .*ECONNREFUSED/);
  });
});

describe('ControllerLeaseKeeper', () => {
  const LEASE_MS = 300;

  function keeper(lease: LeaseBackend, holderId: string, events: string[], extra: Partial<ConstructorParameters<typeof ControllerLeaseKeeper>[0]> = {}): ControllerLeaseKeeper {
    return new ControllerLeaseKeeper({
      lease,
      holderId,
      clock: systemClock,
      leaseMs: LEASE_MS,
      renewIntervalMs: 100,
      acquireRetryMs: 100,
      onAcquired: (epoch) => events.push(`${holderId} acquired ${epoch}`),
      onLost: (epoch) => events.push(`${holderId} lost ${epoch}`),
      ...extra,
    });
  }

  it('keeps the lease by renewing it; a standby takes over within the lease time after the holder dies', async () => {
    const lease = await openLease(`keeper${prefixes++}:`);
    const events: string[] = [];
    // A's link to Redis can be cut: every call then fails, as in a partition or a crash.
    let aCut = false;
    const aBackend: LeaseBackend = {
      acquire: (h, ms) => (aCut ? Promise.reject(new LeaseError('cut')) : lease.acquire(h, ms)),
      renew: (h, e, ms) => (aCut ? Promise.reject(new LeaseError('cut')) : lease.renew(h, e, ms)),
      release: (h, e) => (aCut ? Promise.reject(new LeaseError('cut')) : lease.release(h, e)),
    };
    const errors: Error[] = [];
    const a = keeper(aBackend, 'a', events, { onError: (e) => errors.push(e) });
    a.start();
    await until('a acquires', () => a.epoch !== undefined);
    const b = keeper(lease, 'b', events);
    b.start();
    // Several lease times pass: A renews, B stays standby.
    await sleep(3 * LEASE_MS);
    expect(events).toEqual(['a acquired 1']);
    expect(b.epoch).toBeUndefined();
    expect((await lease.current()).holder?.holderId).toBe('a');

    const cutAt = Date.now();
    aCut = true;
    await until('b takes over', () => b.epoch !== undefined);
    const failoverMs = Date.now() - cutAt;
    // A stepped down before B could take over: never two holders at once.
    expect(events).toEqual(['a acquired 1', 'a lost 1', 'b acquired 2']);
    expect(errors.length).toBeGreaterThan(0);
    expect(a.epoch).toBeUndefined();
    // Redis expires the lease at most LEASE_MS after A's last renewal; B retries every 100 ms (slack for a busy machine).
    expect(failoverMs).toBeLessThan(LEASE_MS + 100 + 500);
    expect(failoverMs).toBeGreaterThanOrEqual(LEASE_MS - 100 - 20);
    aCut = false;
    // A is a standby now; B stops gracefully and releases, so A wins at once with a new epoch.
    await b.stop();
    await until('a takes over again', () => a.epoch !== undefined, 1000);
    expect(a.epoch).toBe(3);
    expect(events).toEqual(['a acquired 1', 'a lost 1', 'b acquired 2', 'b lost 2', 'a acquired 3']);
    await a.stop();
    expect((await lease.current()).holder).toBeNull();
  });

  it('steps down when Redis goes away, and acquires again when it is back', async () => {
    const own = await RedisServer.start();
    try {
      const lease = await RedisControllerLease.open({ url: own.url, reconnectMaxMs: 50 });
      const events: string[] = [];
      const errors: Error[] = [];
      const a = keeper(lease, 'a', events, { onError: (e) => errors.push(e) });
      a.start();
      await until('a acquires', () => a.epoch !== undefined);
      await own.kill();
      await until('a steps down', () => events.includes('a lost 1'), 2000);
      expect(errors[0]?.message).toMatch(/controller lease renew at redis:\/\/127\.0\.0\.1:\d+ failed: Redis at .* is unavailable/);
      await own.restart();
      await until('a acquires again', () => a.epoch !== undefined, 5000);
      // The AOF kept the epoch key: the next holder's epoch is larger, never reused.
      expect(a.epoch).toBe(2);
      await a.stop();
      await lease.close();
    } finally {
      await own.cleanup();
    }
  });

  it('refuses a renewal interval longer than half the lease', () => {
    expect(() => new ControllerLeaseKeeper({ lease: {} as LeaseBackend, holderId: 'x', clock: systemClock, leaseMs: 1000, renewIntervalMs: 600, onAcquired: () => undefined, onLost: () => undefined })).toThrow(
      /renewIntervalMs must be an integer from 1 to 500/,
    );
  });
});
