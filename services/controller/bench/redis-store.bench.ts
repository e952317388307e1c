// Measures RedisMetadataStore against a real local redis-server (AOF, appendfsync
// always), without and with one replica (`?wait=1`): the latency of one append at a time
// (p50/p99), the rate of appends with 64 in flight (group commit: one pipelined group,
// one fsync, one WAIT), and writing and loading a snapshot with the longest event-loop
// stall meanwhile (the biggest gap between two setImmediate turns).
// Run: node services/controller/bench/redis-store.bench.ts [--small]
// Results on the dev VM are in docs/architecture.md ("Metadata in Redis").

import { RedisServer } from '@stratus/controller/testing';
import { RedisMetadataStore, captureState, stateFromSections } from '../src/index.ts';
import type { MetadataRecord } from '../src/index.ts';
import { buildState } from '../test/support/snapshot-state.ts';

const small = process.argv.includes('--small');
const SEQUENTIAL = small ? 500 : 2000;
const CONCURRENT = small ? 5000 : 20_000;
const IN_FLIGHT = 64;
const T = Buffer.alloc(16, 3).toString('base64url');

/** An object commit of 8 partitions: the record that dominates the journal (~740 bytes encoded). */
function commit(i: number): MetadataRecord[] {
  const objectKey = `a3f0/stratus/1/1700000000123-${String(i).padStart(8, '0')}.sso`;
  const extents = Array.from({ length: 8 }, (_, p) => ({ topicId: T, partition: p, objectKey, objectSize: 8_388_608, baseOffset: i * 100, lastOffset: i * 100 + 99, position: 8 + p * 1000, length: 1000, maxTimestamp: 1_700_000_000_000 + i, leaderEpoch: 3 }));
  return [{ type: 'ObjectCommitted', objectKey, objectSize: 8_388_608, extents, rejected: [], committedAtMs: 1_700_000_000_000 + i }];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `work` while measuring the longest gap between event-loop turns. */
async function withStall<T>(work: () => Promise<T>): Promise<{ result: T; ms: number; stallMs: number }> {
  let stallMs = 0;
  let last = performance.now();
  let done = false;
  const ticker = (async () => {
    while (!done) {
      await new Promise((r) => setImmediate(r));
      const now = performance.now();
      stallMs = Math.max(stallMs, now - last);
      last = now;
    }
  })();
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  done = true;
  await ticker;
  return { result, ms, stallMs };
}

async function run(label: string, url: string): Promise<void> {
  const store = await RedisMetadataStore.open({ url, epoch: 0 });
  for await (const _ of (await store.load()).batches) void _;
  let i = 0;
  const latencies: number[] = [];
  for (let n = 0; n < SEQUENTIAL; n++) {
    const t = performance.now();
    await store.append(commit(i++));
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < CONCURRENT) await store.append(commit(i++));
    }),
  );
  const rate = CONCURRENT / ((performance.now() - started) / 1000);
  const state = buildState({ topics: small ? 2 : 10, partitionsPerTopic: 100, extentsPerPartition: 20, partitionsPerObject: 8, groups: 10, offsetsPerGroup: small ? 1000 : 10_000, producersPerPartition: 0 });
  const write = await withStall(() => store.snapshot(captureState(state), i - 1));
  await store.close();
  const reader = await RedisMetadataStore.open({ url, epoch: 0 });
  const load = await withStall(async () => stateFromSections((await reader.load()).snapshot!.sections));
  await reader.close();
  console.log(
    `${label}: append p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms; ` +
      `${Math.round(rate)} appends/s with ${IN_FLIGHT} in flight; snapshot (${state.topics.size} topics, ${[...state.topics.values()].reduce((n, t) => n + t.partitions.length, 0)} partitions) ` +
      `write ${write.ms.toFixed(0)} ms (longest stall ${write.stallMs.toFixed(1)} ms), load ${load.ms.toFixed(0)} ms (longest stall ${load.stallMs.toFixed(1)} ms)`,
  );
}

const master = await RedisServer.start();
try {
  await run('no replica', `${master.url}?prefix=bench-a:`);
  await master.startReplica();
  await run('1 replica, wait=1', `${master.url}?prefix=bench-b:&wait=1&waitTimeoutMs=2000`);
} finally {
  await master.cleanup();
}
