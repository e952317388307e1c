// npm run bench:protocol — throughput and allocations of the codec's hot paths, next to
// CRC-32C over the same bytes as the reference (the floor for produce validation).
// Prints a table; asserts nothing (speed is judged by reading figures, not by a test).
//
// Allocation figures are heap + ArrayBuffer growth per operation, measured over a burst
// short enough that no garbage collection runs inside it (checked with a GC observer).

import { cpus, totalmem } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import {
  ApiKey,
  buildRecordBatch,
  CompressionType,
  crc32c,
  decodeRequestBody,
  decodeRequestHeader,
  decompress,
  encodeRequest,
  encodeResponse,
  inspectRecords,
  RECORDS_OFFSET,
  validateRecordBatches,
} from '@stratus/protocol';

const MiB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run bench:protocol does)');
  process.exit(1);
}

let gcCount = 0;
new PerformanceObserver((list) => {
  gcCount += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

interface Row {
  name: string;
  mbPerSec: number;
  opsPerSec: number;
  allocPerOp: string;
  note: string;
}

function timeIt(fn: () => void, minMs = 1500): { opsPerSec: number } {
  for (let i = 0; i < 50; i++) fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) fn();
    ops += 20;
    elapsed = performance.now() - start;
  }
  return { opsPerSec: (ops * 1000) / elapsed };
}

async function allocations(fn: () => void, burst: number): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    gc!();
    await settle(); // GC observer entries arrive asynchronously
    const gcBefore = gcCount;
    const m0 = process.memoryUsage();
    for (let i = 0; i < burst; i++) fn();
    const m1 = process.memoryUsage();
    await settle();
    if (gcCount === gcBefore) {
      const heap = Math.max(0, m1.heapUsed - m0.heapUsed) / burst;
      const buffers = Math.max(0, m1.arrayBuffers - m0.arrayBuffers) / burst;
      return `${fmtBytes(heap)} heap + ${fmtBytes(buffers)} buffers`;
    }
    burst = Math.max(1, Math.floor(burst / 4));
  }
  return 'n/a (GC in every burst)';
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

function fmtBytes(n: number): string {
  if (n >= MiB) return `${(n / MiB).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${Math.round(n)} B`;
}

async function bench(name: string, bytesPerOp: number, fn: () => void, note = ''): Promise<Row> {
  const { opsPerSec } = timeIt(fn);
  const allocPerOp = await allocations(fn, 20);
  return { name, mbPerSec: (opsPerSec * bytesPerOp) / MiB, opsPerSec, allocPerOp, note };
}

// --- inputs -------------------------------------------------------------------------

/** 16 partitions × one 64 KiB batch of 1 KiB records: 1 MiB of record batches. */
function produceBatches(): Buffer[] {
  const value = Buffer.alloc(1000, 7);
  const batches: Buffer[] = [];
  for (let p = 0; p < 16; p++) {
    const records = [];
    for (let i = 0; i < 64; i++) records.push({ key: `k${i}`, value });
    batches.push(buildRecordBatch({ records, producerId: 42, producerEpoch: 0, baseSequence: 0, baseTimestamp: 1_700_000_000_000 }));
  }
  return batches;
}

async function main(): Promise<void> {
  const batches = produceBatches();
  const recordBytes = batches.reduce((n, b) => n + b.length, 0);
  const produceFrame = encodeRequest(ApiKey.Produce, 9, 1, 'bench', {
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: 'bench-topic', partitionData: batches.map((records, index) => ({ index, records })) }],
  }).subarray(4);
  const all = Buffer.concat(batches);

  const rows: Row[] = [];

  rows.push(
    await bench('CRC-32C alone over the same batches', recordBytes, () => {
      for (const b of batches) crc32c(b.subarray(21));
    }, 'reference'),
  );

  let validated = 0;
  rows.push(
    await bench('Produce v9 decode + validate (1 MiB, 16 partitions)', recordBytes, () => {
      const h = decodeRequestHeader(produceFrame);
      if (!h.ok) throw h.error;
      const body = decodeRequestBody(ApiKey.Produce, 9, produceFrame, h.value.bodyOffset);
      if (!body.ok) throw body.error;
      for (const t of body.value.topicData) {
        for (const p of t.partitionData) {
          const v = validateRecordBatches(p.records!, { maxBatchBytes: 2 * MiB });
          if (!v.ok) throw new Error(v.error.message);
          validated += v.batches.length;
        }
      }
    }),
  );

  // The record-level check Produce adds (inspectRecords: decompress, walk every record),
  // per codec, next to decompression alone: what the walk itself costs.
  const text = Buffer.from('{"user":12345,"event":"click","page":"/products/42","ts":1700000000000} '.repeat(14).slice(0, 1000));
  for (const [name, compression] of [['none', CompressionType.None], ['gzip', CompressionType.Gzip], ['snappy', CompressionType.Snappy], ['lz4', CompressionType.Lz4], ['zstd', CompressionType.Zstd]] as const) {
    const codecBatches = Array.from({ length: 16 }, () =>
      buildRecordBatch({ records: Array.from({ length: 64 }, (_, i) => ({ key: `k${i}`, value: text })), compression, baseTimestamp: 1_700_000_000_000 }),
    );
    const infos = codecBatches.map((b) => {
      const v = validateRecordBatches(b, { maxBatchBytes: 2 * MiB });
      if (!v.ok) throw new Error(v.error.message);
      return v.batches[0]!;
    });
    const wire = codecBatches.reduce((n, b) => n + b.length, 0);
    if (compression !== CompressionType.None) {
      rows.push(
        await bench(`decompress alone, ${name} (16 batches, 1 MiB of records)`, wire, () => {
          for (const b of codecBatches) decompress(compression, b.subarray(RECORDS_OFFSET), 64 * MiB);
        }, 'reference'),
      );
    }
    rows.push(
      await bench(`Produce record check, ${name} (inspectRecords)`, wire, () => {
        for (let i = 0; i < codecBatches.length; i++) {
          const r = inspectRecords(codecBatches[i]!, infos[i]!, 64 * MiB);
          if (!r.ok) throw new Error(r.message);
        }
      }, `${(wire / MiB).toFixed(2)} MiB on the wire`),
    );
  }

  const fetchBody = {
    responses: [{ topic: 'bench-topic', partitions: batches.map((records, partitionIndex) => ({ partitionIndex, highWatermark: 64, lastStableOffset: 64, logStartOffset: 0, records })) }],
  };
  rows.push(
    await bench('Fetch v12 response encode (1 MiB, 16 partitions)', recordBytes, () => {
      encodeResponse(ApiKey.Fetch, 12, 1, fetchBody);
    }, 'batches referenced, not copied'),
  );
  rows.push(
    await bench('Fetch v11 response encode (1 MiB, 16 partitions)', recordBytes, () => {
      encodeResponse(ApiKey.Fetch, 11, 1, fetchBody);
    }),
  );

  const topics = [];
  for (let t = 0; t < 10; t++) {
    const partitions = [];
    for (let p = 0; p < 100; p++) partitions.push({ partitionIndex: p, leaderId: 1, leaderEpoch: 3, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
    topics.push({ name: `topic-${t}`, topicId: Buffer.alloc(16, t + 1).toString('base64url'), partitions });
  }
  const metadataBody = { brokers: [{ nodeId: 1, host: 'localhost', port: 9092 }], clusterId: 'stratus', controllerId: 1, topics };
  const metadataBytes = Buffer.concat(encodeResponse(ApiKey.Metadata, 12, 1, metadataBody)).length;
  rows.push(
    await bench('Metadata v12 response encode (1,000 partitions)', metadataBytes, () => {
      encodeResponse(ApiKey.Metadata, 12, 1, metadataBody);
    }),
  );
  rows.push(
    await bench('Metadata v1 response encode (1,000 partitions)', Buffer.concat(encodeResponse(ApiKey.Metadata, 1, 1, metadataBody)).length, () => {
      encodeResponse(ApiKey.Metadata, 1, 1, metadataBody);
    }),
  );

  if (validated === 0 || all.length !== recordBytes) throw new Error('benchmark did no work');

  const crc = rows[0]!;
  const produce = rows[1]!;
  console.log(`\nStratus protocol benchmark — ${new Date().toISOString()}`);
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB; node ${process.version}`);
  console.log(`input: ${(recordBytes / MiB).toFixed(2)} MiB of record batches (16 × 64 KiB, 1 KiB records, uncompressed)\n`);
  console.log('| benchmark | MB/s | ops/s | allocated per op | note |');
  console.log('|---|---:|---:|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.mbPerSec.toFixed(0)} | ${r.opsPerSec.toFixed(0)} | ${r.allocPerOp} | ${r.note} |`);
  const ratio = crc.mbPerSec / produce.mbPerSec;
  console.log(`\nProduce decode + validate takes ${ratio.toFixed(2)}× the time of CRC-32C alone (aim: ≤ 1.5×).`);
}

await main();
