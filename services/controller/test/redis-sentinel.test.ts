// The Redis metadata store through Sentinel (redis+sentinel://), on real processes: a
// master, a replica and one Sentinel. Batches acknowledged with `?wait=1` survive the
// master's death (-9): Sentinel promotes the replica, the old store fails (it never
// writes to a server it was not told about), and a store opened through the same URL
// finds the new master with every acknowledged batch, and can write.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@stratus/controller/testing';
import { captureState, emptyState, openMetadataStore, stateFromSections, toSnapshotData } from '../src/index.ts';
import type { MetadataStore } from '../src/index.ts';
import { collect, rec } from './metadata-store.contract.ts';

let master: RedisServer;
let replica: RedisServer;
let sentinel: RedisServer;

beforeAll(async () => {
  master = await RedisServer.start();
  replica = await master.startReplica();
  sentinel = await master.startSentinel('stratus-meta');
});

afterAll(async () => {
  await master?.cleanup();
});

describe('RedisMetadataStore over Sentinel', () => {
  it('keeps every batch acknowledged with wait=1 across a failover to the replica', async () => {
    const url = `redis+sentinel://127.0.0.1:${sentinel.port}/stratus-meta?wait=1&waitTimeoutMs=2000&connectTimeoutMs=2000`;
    const a = await openMetadataStore(url, { epoch: 0, redis: { reconnectMaxMs: 100 } });
    await collect((await a.load()).batches);
    const acked = await Promise.all(Array.from({ length: 30 }, (_, i) => a.append([rec(i)])));
    await a.snapshot(captureState({ ...emptyState(), nextProducerId: 7 }), 19);
    acked.push(await a.append([rec(30)]));
    expect(acked).toEqual(Array.from({ length: 31 }, (_, i) => i));

    const killedAt = Date.now();
    await master.kill();
    await expect(a.append([rec(31)])).rejects.toThrow(/unavailable/);
    await a.close().catch(() => undefined);

    // Sentinel notices after down-after (500 ms), promotes the replica, then names it.
    let b: MetadataStore | undefined;
    while (b === undefined) {
      if (Date.now() - killedAt > 20_000) throw new Error(`no failover within 20 s:\n${sentinel.log()}`);
      const named = await sentinel.cliRaw('SENTINEL', 'get-master-addr-by-name', 'stratus-meta').catch(() => '');
      if (named.endsWith(`\n${replica.port}`)) b = await openMetadataStore(url, { epoch: 0 });
      else await new Promise((r) => setTimeout(r, 50));
    }
    const loaded = await b.load();
    expect(loaded.snapshot?.upToSeq).toBe(19);
    expect(toSnapshotData(await stateFromSections(loaded.snapshot!.sections))).toEqual(toSnapshotData({ ...emptyState(), nextProducerId: 7 }));
    const batches = await collect(loaded.batches);
    expect(batches.map((x) => x.seq)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(batches.at(-1)!.records).toEqual([rec(30)]);
    // The new master has no replica: wait=1 cannot be met any more, and the store says so.
    await expect(b.append([rec(31)])).rejects.toThrow(/only 0 of 1 replica/);
    await b.close();
    const c = await openMetadataStore(url.replace('wait=1', 'wait=0'), { epoch: 0 });
    await collect((await c.load()).batches);
    expect(await c.append([rec(32)])).toBe(32);
    await c.close();
  });
});
