// Record batches for the fuzz categories that test what Produce checks inside a batch,
// each with the one error code the broker must answer for its partition:
//
//   oversized      real and declared sizes around max.message.bytes (a small-limit topic,
//                  the broker default, a topic at the storage limit), and compressed
//                  batches around and far past the decompression cap ("bombs");
//   lying-batch    batches of every codec whose header and CRC are right but whose
//                  records lie: count above or below, offset deltas out of order,
//                  maxTimestamp hiding the newest record or claiming a newer one, bytes
//                  after the last record, lengths running past their record or section;
//                  plus honest ones built the same way, which must be taken;
//   bad-timestamp  CreateTime records beyond message.timestamp.after.max.ms (far future),
//                  before.max.ms (far past, on a topic that sets it), negative ones, the
//                  LogAppendTime attribute on a CreateTime topic (every record then reads
//                  as the header's maxTimestamp, which is what must be in bounds), and a
//                  LogAppendTime topic that takes anything.
//
// Records are encoded here, field by field, so that any one field can lie; the batch
// header is written whole with a correct CRC unless the lie is in the header. Timestamps
// are relative to the context's clock (FuzzLimits.nowMs) with margins of minutes, so a
// case means the same for the whole run and when replayed later.

import { ATTRIBUTES_OFFSET, BATCH_HEADER_BYTES, compress, CompressionType, crc32c, CRC_OFFSET, CURRENT_MAGIC, ErrorCode, LOG_OVERHEAD, TIMESTAMP_TYPE_MASK } from '@stratus/protocol';
import type { SnappyFormat } from '@stratus/protocol';
import { decompressionBombs } from './record-batches.ts';
import type { Rng } from './rng.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const YEAR = 365 * DAY;
/**
 * How far a timestamp meant to be inside (or outside) a bound stays from it: longer than
 * any run, so the broker's clock moving on during the run never changes the answer.
 */
export const TIMESTAMP_MARGIN_MS = 10 * MINUTE;

/** The codecs, each equally likely (None included). */
export const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;
export type Codec = (typeof CODECS)[number];
const CODEC_NAMES: Record<number, string> = { 0: 'none', 1: 'gzip', 2: 'snappy', 3: 'lz4', 4: 'zstd' };
export const codecName = (c: number): string => CODEC_NAMES[c] ?? `codec-${c}`;

/** The special topics and limits the categories aim at (see context.ts). */
export interface BatchLimits {
  readonly nowMs: number;
  /** The broker's message.max.bytes: max.message.bytes of the ordinary fuzz topics. */
  readonly maxMessageBytes: number;
  /** topics.maxDecompressedBatchBytes. */
  readonly maxDecompressedBytes: number;
  /** message.timestamp.after.max.ms of topics that do not set it. */
  readonly defaultAfterMaxMs: number;
  readonly topics: SpecialTopics;
}

export interface SpecialTopics {
  /**
   * Default settings (the broker's message.max.bytes, after.max.ms 1 h, no before bound).
   * Not one of the ordinary fuzz topics: fuzzed CreateTopics and DeleteTopics change
   * those, and a batch case's answer must not depend on them.
   */
  readonly plain: { readonly name: string; readonly partitions: number };
  /** A small max.message.bytes, so sizes around it are cheap. */
  readonly small: { readonly name: string; readonly partitions: number; readonly maxMessageBytes: number };
  /** max.message.bytes at the largest batch the storage holds. */
  readonly roomy: { readonly name: string; readonly partitions: number; readonly maxMessageBytes: number };
  /** Sets message.timestamp.before.max.ms and after.max.ms. */
  readonly bounded: { readonly name: string; readonly partitions: number; readonly beforeMaxMs: number; readonly afterMaxMs: number };
  /** message.timestamp.type=LogAppendTime. */
  readonly logAppendTime: { readonly name: string; readonly partitions: number };
  /** Holds a few MiB, for Fetches whose answers a slow sender never reads. */
  readonly bulk: { readonly name: string; readonly partitions: number };
}

/** The Produce partition a batch case goes to and the codes its answer may carry. */
export interface BatchCase {
  readonly variant: string;
  readonly records: Buffer;
  /** null: the plain topic (default settings), any partition. */
  readonly topic: { readonly name: string; readonly partitions: number } | null;
  /** The error codes the partition may be answered with; [NONE, ...] for batches that must be taken. */
  readonly codes: readonly number[];
  /** Produce versions the case may use (zstd needs v7). */
  readonly minVersion: number;
  readonly maxVersion?: number;
}

/** A batch the broker must take; it may still time out under load, but nothing else. */
export const TAKEN: readonly number[] = [ErrorCode.NONE, ErrorCode.REQUEST_TIMED_OUT];

// ------------------------------------------------------------------------ record encoding

function zigzag(v: number): bigint {
  const b = BigInt(v);
  return b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
}

function uvarintBig(v: bigint): Buffer {
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}

/** Kafka's signed varint / varlong (zigzag), for any safe integer. */
export function varint(v: number): Buffer {
  return uvarintBig(zigzag(v));
}

export interface FuzzRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: Buffer; readonly value: Buffer | null }[];
  readonly timestamp: number;
}

/** How one record's encoding lies (all fields honest when absent). */
export interface RecordLie {
  readonly offsetDelta?: number;
  /** Added to the true length prefix. */
  readonly lengthAdjust?: number;
  /** Replaces the key length (the key bytes stay). */
  readonly keyLength?: number;
  /** Added to the value length (the value bytes stay). */
  readonly valueLengthAdjust?: number;
  /** Added to the header count. */
  readonly headerCountAdjust?: number;
}

function nullableBytes(b: Buffer | null, lengthOverride?: number): Buffer[] {
  if (b === null) return [varint(lengthOverride ?? -1)];
  return [varint(lengthOverride ?? b.length), b];
}

/** One record: its length prefix, then the fields (timestamp delta from baseTimestamp). */
export function encodeRecord(r: FuzzRecord, offsetDelta: number, baseTimestamp: number, lie: RecordLie = {}): Buffer {
  const valueLength = r.value === null ? -1 : r.value.length + (lie.valueLengthAdjust ?? 0);
  const parts: Buffer[] = [
    Buffer.from([0]),
    varint(r.timestamp - baseTimestamp),
    varint(lie.offsetDelta ?? offsetDelta),
    ...nullableBytes(r.key, lie.keyLength),
    ...nullableBytes(r.value, lie.valueLengthAdjust === undefined ? undefined : valueLength),
    varint(r.headers.length + (lie.headerCountAdjust ?? 0)),
  ];
  for (const h of r.headers) parts.push(varint(h.key.length), h.key, ...nullableBytes(h.value));
  const body = Buffer.concat(parts);
  return Buffer.concat([varint(body.length + (lie.lengthAdjust ?? 0)), body]);
}

export interface BatchShape {
  /** The uncompressed records section. */
  readonly section: Buffer;
  readonly codec: Codec;
  readonly snappyFormat?: SnappyFormat;
  readonly recordCount: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  /** Extra attribute bits (the LogAppendTime bit). */
  readonly extraAttributes?: number;
  /** Replaces the compressed payload (to truncate it); default compress(section). */
  readonly payload?: Buffer;
}

/** A batch around a records section: header consistent with recordCount, CRC right. */
export function assembleBatch(s: BatchShape): Buffer {
  const payload = s.payload ?? (s.codec === CompressionType.None ? s.section : compress(s.codec, s.section, s.snappyFormat === undefined ? {} : { snappyFormat: s.snappyFormat }));
  const b = Buffer.alloc(BATCH_HEADER_BYTES + payload.length);
  b.writeBigInt64BE(0n, 0);
  b.writeInt32BE(b.length - LOG_OVERHEAD, 8);
  b.writeInt32BE(-1, 12);
  b.writeInt8(CURRENT_MAGIC, 16);
  b.writeInt16BE(s.codec | (s.extraAttributes ?? 0), ATTRIBUTES_OFFSET);
  b.writeInt32BE(s.recordCount - 1, 23);
  b.writeBigInt64BE(BigInt(s.baseTimestamp), 27);
  b.writeBigInt64BE(BigInt(s.maxTimestamp), 35);
  b.writeBigInt64BE(-1n, 43);
  b.writeInt16BE(-1, 51);
  b.writeInt32BE(-1, 53);
  b.writeInt32BE(s.recordCount, 57);
  payload.copy(b, BATCH_HEADER_BYTES);
  b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return b;
}

function randomRecords(rng: Rng, n: number, timestamp: () => number): FuzzRecord[] {
  return Array.from({ length: n }, () => ({
    key: rng.bool(0.3) ? null : rng.bytes(rng.size(16)),
    value: rng.bool(0.05) ? null : rng.bytes(rng.size(120)),
    headers: rng.bool(0.25) ? [{ key: Buffer.from(rng.pick(['h', 'trace', 'k'])), value: rng.bool(0.1) ? null : rng.bytes(rng.size(8)) }] : [],
    timestamp: timestamp(),
  }));
}

/** Records honestly encoded against the header's baseTimestamp, with per-record lies. */
function section(records: readonly FuzzRecord[], base: number, lies: ReadonlyMap<number, RecordLie> = new Map(), offsetDeltas?: readonly number[]): Buffer {
  return Buffer.concat(records.map((r, i) => encodeRecord(r, offsetDeltas?.[i] ?? i, base, lies.get(i) ?? {})));
}

function maxOf(records: readonly FuzzRecord[]): number {
  return records.reduce((m, r) => Math.max(m, r.timestamp), Number.NEGATIVE_INFINITY);
}

function codecOf(rng: Rng): { codec: Codec; snappyFormat?: SnappyFormat } {
  const codec = rng.pick(CODECS);
  return codec === CompressionType.Snappy ? { codec, snappyFormat: rng.pick(['xerial', 'raw'] as const) } : { codec };
}

/** zstd needs Produce v7 (else UNSUPPORTED_COMPRESSION_TYPE); the others v3. */
function minVersionFor(codec: number): number {
  return codec === CompressionType.Zstd ? 7 : 3;
}

// ------------------------------------------------------------------------------ oversized

function varintBytes(v: number): number {
  return varint(v).length;
}

/**
 * One record of `sectionBytes` bytes: a value of `fill` bytes, and a null or one-byte key
 * to make up the byte a varint's growth can skip; undefined for the few sizes no one record
 * has (a record of 64 bytes is followed by one of 66). Worked out, then encoded once.
 */
function recordOfSize(sectionBytes: number, timestamp: number, fill: number, offsetDelta = 0): Buffer | undefined {
  for (let valueLength = Math.max(0, sectionBytes - 20); valueLength <= sectionBytes; valueLength++) {
    for (const key of [null, Buffer.from([fill])]) {
      // attributes, timestamp delta 0, offset delta, key, value, header count 0
      const body = 2 + varintBytes(offsetDelta) + (key === null ? 1 : 2) + varintBytes(valueLength) + valueLength + 1;
      if (varintBytes(body) + body === sectionBytes) return encodeRecord({ key, value: Buffer.alloc(valueLength, fill), headers: [], timestamp }, offsetDelta, timestamp);
    }
  }
  return undefined;
}

/** A records section of exactly `sectionBytes`: one record, or two when no one record is that long. */
function sectionOfSize(sectionBytes: number, timestamp: number, fill: number): { section: Buffer; count: number } {
  const one = recordOfSize(sectionBytes, timestamp, fill);
  if (one !== undefined) return { section: one, count: 1 };
  for (const firstBytes of [7, 8, 9]) {
    const first = recordOfSize(firstBytes, timestamp, fill);
    const second = recordOfSize(sectionBytes - firstBytes, timestamp, fill, 1);
    if (first !== undefined && second !== undefined) return { section: Buffer.concat([first, second]), count: 2 };
  }
  throw new RangeError(`no records section is exactly ${sectionBytes} bytes`);
}

/** An uncompressed batch of exactly `size` bytes (size ≥ 75). */
export function batchOfSize(size: number, timestamp: number, fill: number): Buffer {
  const { section, count } = sectionOfSize(size - BATCH_HEADER_BYTES, timestamp, fill);
  return assembleBatch({ section, codec: CompressionType.None, recordCount: count, baseTimestamp: timestamp, maxTimestamp: timestamp });
}

const capMemo = new Map<string, Buffer>();

/**
 * A compressed batch of one record of zeros whose records section is exactly `sectionBytes`
 * long once decompressed. Memoised by its arguments (building and compressing a MiB each
 * time would dominate the generator): a pure function all the same.
 */
export function batchDecompressingTo(sectionBytes: number, codec: Codec, snappyFormat: SnappyFormat | undefined, timestamp: number): Buffer {
  const key = `${sectionBytes}:${codec}:${snappyFormat ?? ''}:${timestamp}`;
  let b = capMemo.get(key);
  if (b === undefined) {
    const { section, count } = sectionOfSize(sectionBytes, timestamp, 0);
    b = assembleBatch({ section, codec, ...(snappyFormat === undefined ? {} : { snappyFormat }), recordCount: count, baseTimestamp: timestamp, maxTimestamp: timestamp });
    capMemo.set(key, b);
  }
  return b;
}

/** Builds the memoised batches of the cap and expansion variants up front (each is a MiB or so to compress). */
export function prepareBatchCases(limits: BatchLimits): void {
  const cap = limits.maxDecompressedBytes;
  const sizes = [...CAP_UNDER.map((d) => cap - d), ...CAP_OVER(cap).map((d) => cap + d)];
  for (const codec of COMPRESSED_CODECS) {
    for (const fmt of codec === CompressionType.Snappy ? (['xerial', 'raw'] as const) : [undefined]) {
      for (const size of sizes) batchDecompressingTo(size, codec, fmt, limits.nowMs - DAY);
    }
  }
}

/** How far under (at) and over the decompression cap the cap variants decompress. */
const CAP_UNDER = [0, 0, 1, 1000];
const CAP_OVER = (cap: number): number[] => [1, 1, 2, 1000, cap];

/** Sets batchLength so the batch declares `size` bytes, whatever it holds; CRC recomputed over what is there. */
function declaring(batch: Buffer, size: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(Math.min(2 ** 31 - 1, size - LOG_OVERHEAD), 8);
  b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return b;
}

const COMPRESSED_CODECS = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;

export function oversizedBatch(rng: Rng, limits: BatchLimits): BatchCase {
  const { small, roomy } = limits.topics;
  const ts = limits.nowMs - rng.int(0, DAY);
  const variant = rng.weighted([
    ['real-under-limit', 3],
    ['real-at-limit', 3],
    ['real-over-limit', 4],
    ['compressed-over-limit', 2],
    ['compressed-expands-past-limit', 2],
    ['declared-over-limit', 3],
    ['declared-under-real', 2],
    ['declared-over-broker-default', 1],
    ['declared-over-storage', 1],
    ['declared-at-storage', 1],
    ['decompresses-to-cap', 3],
    ['decompresses-past-cap', 4],
    ['bomb', 3],
  ] as const);
  const over = (): number => rng.pick([1, 1, 2, rng.int(3, 100), rng.int(101, 5000), small.maxMessageBytes]);
  switch (variant) {
    case 'real-under-limit':
      return { variant, records: batchOfSize(small.maxMessageBytes - rng.pick([1, 2, rng.int(3, 1000)]), ts, rng.int(0, 255)), topic: small, codes: TAKEN, minVersion: 3 };
    case 'real-at-limit':
      return { variant, records: batchOfSize(small.maxMessageBytes, ts, rng.int(0, 255)), topic: small, codes: TAKEN, minVersion: 3 };
    case 'real-over-limit':
      return { variant, records: batchOfSize(small.maxMessageBytes + over(), ts, rng.int(0, 255)), topic: small, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: 3 };
    case 'compressed-over-limit': {
      // Random bytes do not compress: the batch on the wire is over the limit, whatever it decompresses to.
      const { codec, snappyFormat } = codecOfCompressed(rng);
      const value = rng.bytes(small.maxMessageBytes + rng.int(100, 4000));
      const records = [{ key: null, value, headers: [], timestamp: ts }];
      const b = assembleBatch({ section: section(records, ts), codec, ...(snappyFormat === undefined ? {} : { snappyFormat }), recordCount: 1, baseTimestamp: ts, maxTimestamp: ts });
      return { variant: `${variant}-${codecName(codec)}`, records: b, topic: small, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: minVersionFor(codec) };
    }
    case 'compressed-expands-past-limit': {
      // max.message.bytes is about the batch as sent: zeros far past it compress far below it.
      const { codec, snappyFormat } = codecOfCompressed(rng);
      const sectionBytes = rng.int(2, 10) * small.maxMessageBytes;
      return { variant: `${variant}-${codecName(codec)}`, records: batchDecompressingTo(sectionBytes, codec, snappyFormat, limits.nowMs - DAY), topic: small, codes: TAKEN, minVersion: minVersionFor(codec) };
    }
    case 'declared-over-limit': {
      // The header claims more than the limit; the bytes are a small batch (or absurd).
      const size = rng.bool(0.2) ? 2 ** 31 - 1 + LOG_OVERHEAD : small.maxMessageBytes + over();
      return { variant, records: declaring(batchOfSize(rng.int(75, 500), ts, 1), size), topic: small, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: 3 };
    }
    case 'declared-under-real': {
      // batchLength short of the bytes: the rest reads as a second (broken) batch. The CRC
      // covers the declared part, so the first batch passes it.
      // Zero fill: what follows the cut reads as magic 0 (INVALID_RECORD) or is too short (CORRUPT_MESSAGE).
      const real = batchOfSize(rng.int(100, small.maxMessageBytes), ts, 0);
      const cut = rng.pick([1, 2, 16, 17, rng.int(1, real.length - 70)]);
      return { variant, records: declaringCrcOver(real, real.length - cut), topic: small, codes: [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD], minVersion: 3 };
    }
    case 'declared-over-broker-default':
      return { variant, records: declaring(batchOfSize(rng.int(75, 500), ts, 3), limits.maxMessageBytes + over()), topic: null, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: 3 };
    case 'declared-over-storage':
      // max.message.bytes of this topic is the storage limit itself.
      return { variant, records: declaring(batchOfSize(rng.int(75, 500), ts, 4), roomy.maxMessageBytes + over()), topic: roomy, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: 3 };
    case 'declared-at-storage':
      // Within the limit, but the bytes are not there.
      return { variant, records: declaring(batchOfSize(rng.int(75, 500), ts, 5), roomy.maxMessageBytes - rng.int(0, 10)), topic: roomy, codes: [ErrorCode.CORRUPT_MESSAGE], minVersion: 3 };
    case 'decompresses-to-cap': {
      const { codec, snappyFormat } = codecOfCompressed(rng);
      const sectionBytes = limits.maxDecompressedBytes - rng.pick(CAP_UNDER);
      return { variant: `${variant}-${codecName(codec)}`, records: batchDecompressingTo(sectionBytes, codec, snappyFormat, limits.nowMs - DAY), topic: null, codes: TAKEN, minVersion: minVersionFor(codec) };
    }
    case 'decompresses-past-cap': {
      const { codec, snappyFormat } = codecOfCompressed(rng);
      const sectionBytes = limits.maxDecompressedBytes + rng.pick(CAP_OVER(limits.maxDecompressedBytes));
      return { variant: `${variant}-${codecName(codec)}`, records: batchDecompressingTo(sectionBytes, codec, snappyFormat, limits.nowMs - DAY), topic: null, codes: [ErrorCode.MESSAGE_TOO_LARGE], minVersion: minVersionFor(codec) };
    }
    case 'bomb': {
      // Far past the cap; the snappy liars declare 2 GiB and more (too large or corrupt, both refuse it).
      const [name, payload] = rng.pick(decompressionBombs());
      const codec = BOMB_CODECS[name.split('-')[0]!]!;
      const count = rng.pick([1, 1, 1000, 2 ** 31 - 1]);
      const b = assembleBatch({ section: Buffer.alloc(0), payload, codec, recordCount: count, baseTimestamp: ts, maxTimestamp: ts });
      const codes = name.includes('liar') ? [ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.CORRUPT_MESSAGE] : [ErrorCode.MESSAGE_TOO_LARGE];
      return { variant: `${variant}-${name}`, records: b, topic: null, codes, minVersion: minVersionFor(codec) };
    }
  }
}

const BOMB_CODECS: Record<string, Codec> = { gzip: CompressionType.Gzip, zstd: CompressionType.Zstd, lz4: CompressionType.Lz4, snappy: CompressionType.Snappy };

function codecOfCompressed(rng: Rng): { codec: Codec; snappyFormat?: SnappyFormat } {
  const codec = rng.pick(COMPRESSED_CODECS);
  return codec === CompressionType.Snappy ? { codec, snappyFormat: rng.pick(['xerial', 'raw'] as const) } : { codec };
}

/** A batch declaring `size` bytes (fewer than it has), its CRC over the declared part. */
function declaringCrcOver(batch: Buffer, size: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(size - LOG_OVERHEAD, 8);
  b.writeUInt32BE(crc32c(b.subarray(ATTRIBUTES_OFFSET, size)), CRC_OFFSET);
  return b;
}

// ---------------------------------------------------------------------------- lying-batch

export function lyingBatch(rng: Rng, limits: BatchLimits): BatchCase {
  const { codec, snappyFormat } = codecOf(rng);
  const fmt = snappyFormat === undefined ? {} : { snappyFormat };
  const n = rng.weighted([
    [1, 3],
    [2, 3],
    [rng.int(3, 8), 3],
  ]);
  const base = limits.nowMs - rng.int(0, 7 * DAY);
  // Record timestamps need not be in order; maxTimestamp is the largest.
  const records = randomRecords(rng, n, () => base + rng.int(-MINUTE, MINUTE));
  const max = maxOf(records);
  const first = records[0]!.timestamp;
  const honest = { codec, ...fmt, recordCount: n, baseTimestamp: first, maxTimestamp: max };
  const invalid = [ErrorCode.INVALID_RECORD];
  const variant = rng.weighted([
    ['honest', 4],
    ['count-above', 2],
    ['count-below', 2],
    ['offset-deltas', 3],
    ['max-timestamp-hides-newest', 2],
    ['max-timestamp-beyond-newest', 1],
    ['trailing-bytes', 2],
    ['trailing-record', 1],
    ['record-length-past-section', 2],
    ['record-length-short', 1],
    ['value-past-record', 2],
    ['negative-length', 1],
    ['header-count-lie', 1],
    ['empty-payload', 1],
    ['truncated-stream', 1],
    ['zstd-below-v7', 1],
  ] as const);
  const name = `${variant}-${codecName(codec)}`;
  const out = (records: Buffer, codes: readonly number[], minVersion = minVersionFor(codec)): BatchCase => ({ variant: name, records, topic: null, codes, minVersion });
  switch (variant) {
    case 'honest':
      return out(assembleBatch({ ...honest, section: section(records, first) }), TAKEN);
    case 'count-above': {
      const count = n + rng.pick([1, 1, 2, n, 1000, 2 ** 31 - 1 - n]);
      return out(assembleBatch({ ...honest, section: section(records, first), recordCount: count }), invalid);
    }
    case 'count-below': {
      if (n === 1) return out(assembleBatch({ ...honest, section: section(records, first), recordCount: 2 }), invalid);
      return out(assembleBatch({ ...honest, section: section(records, first), recordCount: rng.int(1, n - 1) }), invalid);
    }
    case 'offset-deltas': {
      const deltas = records.map((_, i) => i);
      const how = rng.pick(['from-one', 'repeat', 'gap', 'negative', 'swap', 'huge'] as const);
      if (how === 'from-one') deltas.forEach((_, i) => (deltas[i] = i + 1));
      else if (how === 'repeat') deltas[rng.int(0, n - 1)] = n > 1 ? deltas[rng.int(0, n - 1)]! + (rng.bool() ? 0 : 1) : 1;
      else if (how === 'gap') deltas[n - 1] = n;
      else if (how === 'negative') deltas[rng.int(0, n - 1)] = -rng.int(1, 5);
      else if (how === 'huge') deltas[rng.int(0, n - 1)] = 2 ** 31 - 1;
      else if (n > 1) {
        const i = rng.int(0, n - 2);
        [deltas[i], deltas[i + 1]] = [deltas[i + 1]!, deltas[i]!];
      } else deltas[0] = 1;
      // A repeat that happened to leave 0..n-1 in place lies elsewhere instead.
      if (deltas.every((d, i) => d === i)) deltas[n - 1] = n + 1;
      return { ...out(assembleBatch({ ...honest, section: section(records, first, new Map(), deltas) }), invalid), variant: `${name}-${how}` };
    }
    case 'max-timestamp-hides-newest':
      // The header claims an older newest record than there is (a far-future one hides behind it, sometimes).
      if (rng.bool(0.4)) {
        const hidden = records.map((r, i) => (i === n - 1 ? { ...r, timestamp: limits.nowMs + rng.pick([2 * 60 * MINUTE, 50 * YEAR]) } : r));
        return out(assembleBatch({ ...honest, section: section(hidden, first) }), invalid);
      }
      return out(assembleBatch({ ...honest, section: section(records, first), maxTimestamp: max - rng.pick([1, 1000, MINUTE, YEAR]) }), invalid);
    case 'max-timestamp-beyond-newest':
      return out(assembleBatch({ ...honest, section: section(records, first), maxTimestamp: max + rng.pick([1, 1000, MINUTE]) }), invalid);
    case 'trailing-bytes':
      return out(assembleBatch({ ...honest, section: Buffer.concat([section(records, first), rng.bool(0.3) ? Buffer.alloc(rng.int(1, 16)) : rng.bytes(rng.int(1, 64))]) }), invalid);
    case 'trailing-record': {
      // One more whole record than the header counts.
      const extra = randomRecords(rng, 1, () => first);
      return out(assembleBatch({ ...honest, section: section([...records, ...extra], first) }), invalid);
    }
    case 'record-length-past-section':
      return out(assembleBatch({ ...honest, section: section(records, first, new Map([[n - 1, { lengthAdjust: rng.pick([1, 2, 100, 2 ** 20]) }]])) }), invalid);
    case 'record-length-short':
      return out(assembleBatch({ ...honest, section: section(records, first, new Map([[rng.int(0, n - 1), { lengthAdjust: -rng.pick([1, 1, 2, 5]) }]])) }), invalid);
    case 'value-past-record': {
      const i = rng.int(0, n - 1);
      const withValue = records.map((r, j) => (j === i && r.value === null ? { ...r, value: rng.bytes(4) } : r));
      return out(assembleBatch({ ...honest, section: section(withValue, first, new Map([[i, { valueLengthAdjust: rng.pick([1, 2, 64, 2 ** 24]) }]])), maxTimestamp: maxOf(withValue) }), invalid);
    }
    case 'negative-length':
      return out(assembleBatch({ ...honest, section: section(records, first, new Map([[rng.int(0, n - 1), { keyLength: rng.pick([-2, -3, -100, -(2 ** 31)]) }]])) }), invalid);
    case 'header-count-lie':
      return out(assembleBatch({ ...honest, section: section(records, first, new Map([[rng.int(0, n - 1), { headerCountAdjust: rng.pick([1, 2, 1000, -1]) }]])) }), invalid);
    case 'empty-payload':
      // Nothing inside: the header's records are not there.
      return out(assembleBatch({ ...honest, section: Buffer.alloc(0) }), invalid);
    case 'truncated-stream': {
      if (codec === CompressionType.None) {
        // Uncompressed: the last record loses its tail (the batch's own length still agrees).
        const s = section(records, first);
        return out(assembleBatch({ ...honest, section: s.subarray(0, rng.int(0, s.length - 1)) }), invalid);
      }
      const full = compress(codec, section(records, first), fmt);
      const payload = full.subarray(0, rng.int(0, full.length - 1));
      // Cut short, a stream fails to decompress (CORRUPT_MESSAGE), or — codecs without an
      // end marker — decompresses to fewer records than counted (INVALID_RECORD).
      return out(assembleBatch({ ...honest, section: Buffer.alloc(0), payload }), [ErrorCode.CORRUPT_MESSAGE, ErrorCode.INVALID_RECORD]);
    }
    case 'zstd-below-v7': {
      const b = assembleBatch({ ...honest, codec: CompressionType.Zstd, section: section(records, first) });
      return { variant, records: b, topic: null, codes: [ErrorCode.UNSUPPORTED_COMPRESSION_TYPE], minVersion: 3, maxVersion: 6 };
    }
  }
}

// -------------------------------------------------------------------------- bad-timestamp

export function badTimestampBatch(rng: Rng, limits: BatchLimits): BatchCase {
  const { codec, snappyFormat } = codecOf(rng);
  const { bounded, logAppendTime } = limits.topics;
  const now = limits.nowMs;
  const m = TIMESTAMP_MARGIN_MS;
  const inRange = (): number => now - rng.int(0, 30 * MINUTE);
  const variant = rng.weighted([
    ['future-beyond-after', 3],
    ['future-within-after', 2],
    ['past-beyond-before', 3],
    ['past-within-before', 2],
    ['past-without-before', 1],
    ['negative-without-before', 1],
    ['negative-with-before', 2],
    ['no-timestamp-with-before', 1],
    ['log-append-time-topic', 2],
    ['log-append-time-bit-out-of-range', 2],
    ['log-append-time-bit-no-timestamp', 1],
    ['log-append-time-bit-in-range', 1],
  ] as const);
  // The ordinary topics bound only the future (after.max.ms, 1 h by default); the bounded topic both.
  const onBounded = rng.bool(0.5);
  const afterMax = onBounded ? bounded.afterMaxMs : limits.defaultAfterMaxMs;
  const target = onBounded ? bounded : null;
  const bad = [ErrorCode.INVALID_TIMESTAMP];
  let stamps: number[];
  let topic: BatchCase['topic'] = target;
  let codes: readonly number[] = bad;
  let lat: { maxTimestamp: number } | undefined;
  switch (variant) {
    case 'future-beyond-after':
      stamps = [now + afterMax + rng.pick([m, 2 * m, DAY, 50 * YEAR])];
      break;
    case 'future-within-after':
      stamps = [now + rng.pick([0, MINUTE, afterMax - m])];
      codes = TAKEN;
      break;
    case 'past-beyond-before':
      stamps = [now - bounded.beforeMaxMs - rng.pick([m, 2 * m, DAY, 30 * YEAR]), rng.pick([0, 1, now - 40 * YEAR])].slice(0, rng.int(1, 2));
      topic = bounded;
      break;
    case 'past-within-before':
      stamps = [now - bounded.beforeMaxMs + rng.pick([m, 2 * m])];
      topic = bounded;
      codes = TAKEN;
      break;
    case 'past-without-before':
      stamps = [rng.pick([0, 1, now - 40 * YEAR, now - 2 * DAY])];
      topic = null;
      codes = TAKEN;
      break;
    case 'negative-without-before':
      // No lower bound (before.max.ms is Long.MAX_VALUE): Kafka takes these too.
      stamps = [rng.pick([-1, -2, -1000, -(2 ** 40)])];
      topic = null;
      codes = TAKEN;
      break;
    case 'negative-with-before':
      stamps = [rng.pick([-2, -1000, -(2 ** 40)])];
      topic = bounded;
      break;
    case 'no-timestamp-with-before':
      // -1 is NO_TIMESTAMP: Kafka's validator skips the bounds for it; refusing it is stricter, not wrong.
      stamps = [-1];
      topic = bounded;
      codes = [ErrorCode.NONE, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.INVALID_TIMESTAMP];
      break;
    case 'log-append-time-topic':
      // The broker stamps its own time: any producer timestamp goes.
      stamps = [rng.pick([now + 50 * YEAR, 0, -2, now - 40 * YEAR, now])];
      topic = logAppendTime;
      codes = TAKEN;
      break;
    case 'log-append-time-bit-out-of-range': {
      // The producer sets the LogAppendTime attribute on a CreateTime topic: every record
      // then reads as the header's maxTimestamp, so that is the timestamp the bounds are about
      // (Kafka checks it: record.timestamp() is maxTimestamp under that attribute).
      stamps = [inRange()];
      const far = onBounded && rng.bool(0.5) ? now - bounded.beforeMaxMs - rng.pick([m, DAY, 30 * YEAR]) : now + afterMax + rng.pick([m, DAY, 50 * YEAR]);
      lat = { maxTimestamp: far };
      break;
    }
    case 'log-append-time-bit-no-timestamp':
      // Kafka: "Producer should not set timestamp type to LogAppendTime" when maxTimestamp is NO_TIMESTAMP.
      stamps = [inRange()];
      lat = { maxTimestamp: -1 };
      break;
    case 'log-append-time-bit-in-range':
      stamps = [inRange()];
      lat = { maxTimestamp: inRange() };
      codes = TAKEN;
      break;
  }
  // Ordinary records around the odd one(s), in any order.
  const others = rng.int(0, 3);
  const all = [...stamps, ...Array.from({ length: others }, inRange)];
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const records = randomRecords(rng, all.length, () => 0).map((r, i) => ({ ...r, timestamp: all[i]! }));
  const b = assembleBatch({
    section: section(records, records[0]!.timestamp),
    codec,
    ...(snappyFormat === undefined ? {} : { snappyFormat }),
    recordCount: records.length,
    baseTimestamp: records[0]!.timestamp,
    maxTimestamp: lat?.maxTimestamp ?? maxOf(records),
    extraAttributes: lat === undefined ? 0 : TIMESTAMP_TYPE_MASK,
  });
  const where = topic === null ? 'default' : topic === bounded ? 'bounded' : 'log-append-time';
  return { variant: `${variant}@${where}`, records: b, topic, codes, minVersion: minVersionFor(codec) };
}
