// Record batches for Produce requests: valid ones (buildRecordBatch), and valid ones
// broken in one specific way — the checks a broker must make on a client's bytes: CRC,
// lengths, magic, record counts, compression (garbage payloads and decompression bombs),
// attribute bits, producer fields. Each corruption re-computes the CRC when the point is
// to get past the CRC check to the next one.

import { ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, CRC_OFFSET, LAST_OFFSET_DELTA_OFFSET, MAGIC_OFFSET, RECORDS_COUNT_OFFSET, buildRecordBatch, compress, crc32c, CompressionType } from '@stratus/protocol';
import type { BuildRecord } from '@stratus/protocol';
import type { Rng } from './rng.ts';

const MiB = 1024 * 1024;
const COMPRESSIONS = [CompressionType.None, CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;

function randomRecordList(rng: Rng): BuildRecord[] {
  const n = rng.weighted([
    [1, 5],
    [2, 2],
    [rng.int(3, 20), 1],
  ]);
  const records: BuildRecord[] = [];
  for (let i = 0; i < n; i++) {
    records.push({
      key: rng.bool(0.3) ? null : rng.bytes(rng.size(16)),
      value: rng.bool(0.05) ? null : rng.bytes(rng.size(200)),
      headers: rng.bool(0.2) ? [{ key: 'h', value: rng.bytes(rng.size(8)) }] : [],
      timestamp: Date.UTC(2024, 0, 1) + rng.int(0, 1_000_000),
    });
  }
  return records;
}

/** A valid batch; sometimes compressed, sometimes idempotent. */
export function validBatch(rng: Rng): Buffer {
  const idempotent = rng.bool(0.15);
  return buildRecordBatch({
    records: randomRecordList(rng),
    compression: rng.pick(COMPRESSIONS),
    ...(idempotent ? { producerId: rng.int(0, 1000), producerEpoch: rng.int(0, 2), baseSequence: rng.int(0, 5) } : {}),
  });
}

/** The `records` field of a random (valid-schema) Produce request. */
export function randomRecords(rng: Rng): Buffer | null {
  return rng.weighted<() => Buffer | null>([
    [() => validBatch(rng), 14],
    [() => rng.bytes(rng.size(128)), 3],
    [() => Buffer.alloc(0), 1],
    [() => null, 1],
  ])();
}

function fixCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}

/** A batch around an arbitrary records section: lengths and CRC consistent with it. */
function batchWithSection(section: Buffer, attributes: number, recordCount: number): Buffer {
  const header = buildRecordBatch({ records: [], baseTimestamp: Date.UTC(2024, 0, 1) });
  const batch = Buffer.concat([header, section]);
  batch.writeInt32BE(batch.length - 12, BATCH_LENGTH_OFFSET);
  batch.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  batch.writeInt32BE(recordCount - 1, LAST_OFFSET_DELTA_OFFSET);
  batch.writeInt32BE(recordCount, RECORDS_COUNT_OFFSET);
  return fixCrc(batch);
}

let bombs: readonly (readonly [string, Buffer])[] | undefined;

/**
 * Compressed sections that expand far beyond anything a broker should materialise
 * (the storage engine decodes at most 64 MiB of one batch), plus snappy blocks that lie
 * about their size. Built once per process.
 */
export function decompressionBombs(): readonly (readonly [string, Buffer])[] {
  if (bombs !== undefined) return bombs;
  const zeros = (n: number): Buffer => Buffer.alloc(n);
  // A raw snappy block whose varint header claims 2^32 - 1 bytes, then a literal.
  const snappyLiar = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x41]);
  // xerial framing around a block that claims 2 GiB.
  const xerialLiar = Buffer.concat([
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7]),
    snappyLiar,
  ]);
  // lz4 and snappy cannot compress much better than 250:1 and 21:1, so theirs are
  // smaller bombs (a few hundred KB on the wire) and the liars carry the snappy cases.
  const zstd = compress(CompressionType.Zstd, zeros(512 * MiB));
  bombs = [
    ['gzip-96MiB', compress(CompressionType.Gzip, zeros(96 * MiB))],
    ['zstd-512MiB', zstd],
    ['zstd-512MiB', zstd],
    ['lz4-16MiB', compress(CompressionType.Lz4, zeros(16 * MiB))],
    ['snappy-2MiB', compress(CompressionType.Snappy, zeros(2 * MiB))],
    ['snappy-raw-liar', snappyLiar],
    ['snappy-xerial-liar', xerialLiar],
  ];
  return bombs;
}

const BOMB_CODEC: Record<string, number> = { gzip: CompressionType.Gzip, zstd: CompressionType.Zstd, lz4: CompressionType.Lz4, snappy: CompressionType.Snappy };

/** A broken batch (or batches) and the name of the way it is broken. */
export function corruptBatch(rng: Rng): { variant: string; records: Buffer } {
  const base = (): Buffer => validBatch(rng);
  const variant = rng.weighted([
    ['bad-crc', 3],
    ['bad-batch-length', 3],
    ['bad-magic', 2],
    ['absurd-record-count', 3],
    ['inconsistent-last-offset-delta', 1],
    ['garbage-compressed', 3],
    ['decompression-bomb', 2],
    ['unknown-compression', 1],
    ['control-or-transactional', 1],
    ['truncated-batch', 2],
    ['trailing-garbage', 1],
    ['two-batches', 1],
    ['unsafe-int64', 1],
    ['producer-fields', 1],
    ['records-section-garbage', 2],
    ['too-large', 0.2],
  ] as const);
  switch (variant) {
    case 'bad-crc': {
      const b = base();
      const at = rng.bool(0.3) ? CRC_OFFSET + rng.int(0, 3) : rng.int(ATTRIBUTES_OFFSET, b.length - 1);
      b[at] = b[at]! ^ (1 << rng.int(0, 7));
      return { variant, records: b };
    }
    case 'bad-batch-length': {
      const b = base();
      const actual = b.length - 12;
      const declared = rng.pick([-1, 0, 48, actual - 1, actual + 1, actual + rng.int(2, 1000), 2 ** 31 - 1, -(2 ** 31), rng.int(-(2 ** 31), 2 ** 31 - 1)]);
      b.writeInt32BE(declared, BATCH_LENGTH_OFFSET);
      return { variant, records: rng.bool(0.5) ? fixCrc(b) : b };
    }
    case 'bad-magic': {
      const b = base();
      b.writeInt8(rng.pick([0, 1, 3, -1, 127, -128]), MAGIC_OFFSET);
      return { variant, records: fixCrc(b) };
    }
    case 'absurd-record-count': {
      const b = base();
      const count = rng.pick([2 ** 31 - 1, 2 ** 30, 1_000_000, -1, 0, -(2 ** 31), b.readInt32BE(RECORDS_COUNT_OFFSET) + 1]);
      b.writeInt32BE(count, RECORDS_COUNT_OFFSET);
      // Consistent lastOffsetDelta (so only the count is wrong) most of the time.
      if (rng.bool(0.8)) b.writeInt32BE((count - 1) | 0, LAST_OFFSET_DELTA_OFFSET);
      return { variant, records: fixCrc(b) };
    }
    case 'inconsistent-last-offset-delta': {
      const b = base();
      b.writeInt32BE(rng.pick([-1, 2 ** 31 - 1, b.readInt32BE(LAST_OFFSET_DELTA_OFFSET) + 1, -(2 ** 31)]), LAST_OFFSET_DELTA_OFFSET);
      return { variant, records: fixCrc(b) };
    }
    case 'garbage-compressed': {
      const codec = rng.int(1, 4);
      const count = rng.pick([1, 2, 5]);
      return { variant: `${variant}-${codec}`, records: batchWithSection(rng.bytes(rng.int(1, 300)), codec, count) };
    }
    case 'decompression-bomb': {
      const [name, section] = rng.pick(decompressionBombs());
      const codec = BOMB_CODEC[name.split('-')[0]!]!;
      return { variant: `${variant}-${name}`, records: batchWithSection(section, codec, rng.pick([1, 1, 1000, 2 ** 31 - 1])) };
    }
    case 'unknown-compression': {
      const b = base();
      b.writeInt16BE((b.readInt16BE(ATTRIBUTES_OFFSET) & ~7) | rng.int(5, 7), ATTRIBUTES_OFFSET);
      return { variant, records: fixCrc(b) };
    }
    case 'control-or-transactional': {
      const b = base();
      b.writeInt16BE(b.readInt16BE(ATTRIBUTES_OFFSET) | rng.pick([0x10, 0x20, 0x30, 0x40, 0x08]), ATTRIBUTES_OFFSET);
      return { variant, records: fixCrc(b) };
    }
    case 'truncated-batch': {
      const b = base();
      return { variant, records: b.subarray(0, rng.int(0, b.length - 1)) };
    }
    case 'trailing-garbage': {
      return { variant, records: Buffer.concat([base(), rng.bytes(rng.int(1, 80))]) };
    }
    case 'two-batches': {
      return { variant, records: Buffer.concat([base(), base()]) };
    }
    case 'unsafe-int64': {
      const b = base();
      // baseOffset, baseTimestamp, maxTimestamp or producerId set to 2^63 - 1.
      const at = rng.pick([0, 27, 35, 43]);
      b.writeBigInt64BE(rng.pick([0x7fffffffffffffffn, -0x8000000000000000n, 2n ** 53n]), at);
      return { variant, records: fixCrc(b) };
    }
    case 'producer-fields': {
      const b = base();
      b.writeBigInt64BE(BigInt(rng.pick([0, 1, 7, 2 ** 40])), 43);
      b.writeInt16BE(rng.pick([-1, 0, 1, 32767]), 51);
      b.writeInt32BE(rng.pick([-1, 0, 1, 2 ** 31 - 1, 100]), 53);
      return { variant, records: fixCrc(b) };
    }
    case 'records-section-garbage': {
      // Uncompressed, count and CRC consistent, records themselves random bytes.
      const count = rng.pick([1, 3, 100]);
      return { variant, records: batchWithSection(rng.bytes(rng.int(0, 200)), 0, count) };
    }
    case 'too-large': {
      // A fixed timestamp: without one the builder takes the clock's, and the case would not replay.
      return { variant, records: buildRecordBatch({ records: [{ value: Buffer.alloc(MiB + 64 * 1024, 7), timestamp: Date.UTC(2024, 0, 1) }] }) };
    }
  }
}

