// Uploader benchmark: PUTs per second and bytes per PUT when 10 MB/s of produce traffic
// is spread over 1, 100 and 10,000 partitions, and PUTs during an idle minute. Runs the
// whole write path (offset assignment, real WAL fsyncs on a temp dir, uploads, commits);
// the object store is the in-memory adapter behind the metrics wrapper, so request
// counts are exact and the store's own speed does not blur them.
//
// Aims (issue 3): PUT rate independent of partition count; >= 4 MiB per PUT under load;
// 0 PUTs when idle. Prints a table; asserts nothing.

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryObjectStore, ObjectStoreMetrics, withMetrics } from '@stratus/objectstore';
import { buildRecordBatch } from '@stratus/protocol';
import { ManualClock, SeededRandom, systemClock } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import { InMemoryPartitionIndex, StorageEngine, storeReader } from '@stratus/storage';

const MiB = 1024 * 1024;
const TARGET_BYTES_PER_SEC = 10 * 1000 * 1000;
const BATCH_BYTES = 16 * 1024;
const quick = process.argv.includes('--quick');
const LOAD_SECONDS = quick ? 4 : 10;

interface Row {
  partitions: number;
  seconds: number;
  inputMBps: number;
  puts: number;
  putsPerSec: number;
  mibPerPut: number;
}

async function openEngine(dir: string, clock: Clock, metrics: ObjectStoreMetrics, index: InMemoryPartitionIndex): Promise<StorageEngine> {
  const { wal } = await openWal({ dir, clock });
  const store = withMetrics(new MemoryObjectStore('bench'), metrics);
  return StorageEngine.open({
    wal,
    store,
    index,
    reader: storeReader(store),
    clock,
    random: new SeededRandom(1),
    nodeId: 1,
    keyPrefix: 'bench',
    pendingBytes: 512 * MiB,
    tailBytes: 64 * MiB,
    upload: { maxObjectBytes: 8 * MiB, maxDelayMs: 500 },
  });
}

async function loadRun(partitions: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-upload-bench-'));
  const metrics = new ObjectStoreMetrics();
  const index = new InMemoryPartitionIndex();
  const topicId = Buffer.alloc(16, 9).toString('base64url');
  const engine = await openEngine(dir, systemClock, metrics, index);
  const logs = [];
  for (let p = 0; p < partitions; p++) {
    index.setLeaderEpoch({ topicId, partition: p }, 0);
    logs.push(await engine.openPartition({ topicId, partition: p, leaderEpoch: 0, durability: 'local' }));
  }
  const value = Buffer.alloc(1000, 1);
  const template = buildRecordBatch({ records: Array.from({ length: Math.floor(BATCH_BYTES / 1020) }, () => ({ value })), baseTimestamp: Date.now() });
  const putsBefore = metrics.count('put');
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const inflight = new Set<Promise<unknown>>();
  // Pace in 10 ms ticks: each tick sends what keeps the total on 10 MB/s.
  while (performance.now() - started < LOAD_SECONDS * 1000) {
    const due = ((performance.now() - started) / 1000) * TARGET_BYTES_PER_SEC;
    while (sent + template.length <= due) {
      const log = logs[next++ % partitions]!;
      const p = log.append(Buffer.from(template), { lastOffsetDelta: template.readInt32BE(23), maxTimestamp: Date.now() });
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      sent += template.length;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(inflight);
  const seconds = (performance.now() - started) / 1000;
  const puts = metrics.count('put') - putsBefore;
  const bytes = metrics.snapshot().bytesWritten;
  await engine.close({ flush: false });
  rmSync(dir, { recursive: true, force: true });
  return { partitions, seconds, inputMBps: sent / seconds / 1e6, puts, putsPerSec: puts / seconds, mibPerPut: puts > 0 ? bytes / puts / MiB : 0 };
}

/** An idle engine over 60 seconds of (manual) time: the uploader must make no request. */
async function idleRun(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-idle-bench-'));
  const clock = new ManualClock();
  const metrics = new ObjectStoreMetrics();
  const index = new InMemoryPartitionIndex();
  const engine = await openEngine(dir, clock, metrics, index);
  const topicId = Buffer.alloc(16, 3).toString('base64url');
  for (let p = 0; p < 100; p++) {
    index.setLeaderEpoch({ topicId, partition: p }, 0);
    await engine.openPartition({ topicId, partition: p, leaderEpoch: 0, durability: 'local' });
  }
  for (let s = 0; s < 600; s++) {
    await clock.advance(100);
    await new Promise((r) => setImmediate(r));
  }
  await engine.close({ flush: false });
  rmSync(dir, { recursive: true, force: true });
  const snap = metrics.snapshot().requests;
  return Object.values(snap).reduce((n, byOutcome) => n + Object.values(byOutcome).reduce((a, b) => a + (b ?? 0), 0), 0);
}

export async function runUploaderBench(): Promise<void> {
  console.log(`\n## Uploader: PUTs for 10 MB/s of produce traffic (${LOAD_SECONDS} s per row)`);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}; node ${process.version}; WAL on ${tmpdir()}; store: memory:// (exact counts)`);
  console.log('settings: upload.max.bytes 8 MiB, upload.max.delay 500 ms, 16 KiB batches, local durability\n');
  console.log('| partitions | input MB/s | PUTs | PUTs/s | MiB per PUT | aim |');
  console.log('|---:|---:|---:|---:|---:|---|');
  for (const partitions of [1, 100, 10_000]) {
    const r = await loadRun(partitions);
    console.log(`| ${r.partitions} | ${r.inputMBps.toFixed(1)} | ${r.puts} | ${r.putsPerSec.toFixed(2)} | ${r.mibPerPut.toFixed(2)} | ≥ 4 MiB/PUT, same PUT rate |`);
  }
  const idle = await idleRun();
  console.log(`| 100, idle for 60 s | 0 | ${idle} requests | ${(idle / 60).toFixed(2)} | – | 0 requests |`);
}

if (import.meta.url === `file://${process.argv[1]}`) await runUploaderBench();
