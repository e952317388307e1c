// Searches over a partition's batches by timestamp or leader epoch, for ListOffsets and
// OffsetForLeaderEpoch. Extents and batch headers narrow the search; records are decoded
// only inside the single batch that holds the answer.

import { readInt64, readRecords } from '@stratus/protocol';

const BASE_TIMESTAMP_AT = 27;
const MAX_TIMESTAMP_AT = 35;
const LAST_OFFSET_DELTA_AT = 23;
const LEADER_EPOCH_AT = 12;
/**
 * Decoding limit for a batch searched record by record. Produce never decompresses, so a
 * stored batch may be a decompression bomb; this caps what one decode may cost.
 */
const MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024;

export interface BatchView {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly leaderEpoch: number;
  readonly bytes: Buffer;
}

/** Splits a buffer of whole batches into views (no copies). */
export function* batchesIn(data: Buffer): Generator<BatchView> {
  for (let pos = 0; pos + 61 <= data.length; ) {
    const size = data.readInt32BE(pos + 8) + 12;
    const baseOffset = readInt64(data, pos);
    yield {
      baseOffset,
      lastOffset: baseOffset + data.readInt32BE(pos + LAST_OFFSET_DELTA_AT),
      maxTimestamp: readInt64(data, pos + MAX_TIMESTAMP_AT),
      leaderEpoch: data.readInt32BE(pos + LEADER_EPOCH_AT),
      bytes: data.subarray(pos, pos + size),
    };
    pos += size;
  }
}

export interface TimestampAndOffset {
  readonly timestamp: number;
  readonly offset: number;
  readonly leaderEpoch: number;
}

/** The first record of `batch` at or after `offset` whose timestamp is >= `timestamp`. */
export function firstRecordAtOrAfter(batch: BatchView, timestamp: number, offset: number): TimestampAndOffset | undefined {
  // A LogAppendTime batch stamps every record with its maxTimestamp.
  if ((batch.bytes.readInt16BE(21) & 0x08) !== 0) {
    return batch.maxTimestamp >= timestamp ? { timestamp: batch.maxTimestamp, offset: Math.max(batch.baseOffset, offset), leaderEpoch: batch.leaderEpoch } : undefined;
  }
  const r = readRecords(batch.bytes, MAX_DECOMPRESSED_BYTES);
  if (!r.ok) return undefined;
  for (const rec of r.records) {
    if (rec.offset >= offset && rec.timestamp >= timestamp) return { timestamp: rec.timestamp, offset: rec.offset, leaderEpoch: batch.leaderEpoch };
  }
  return undefined;
}

/** The record with the largest timestamp in `batch` (the first such, by offset). */
export function maxTimestampRecord(batch: BatchView, fromOffset: number): TimestampAndOffset | undefined {
  if ((batch.bytes.readInt16BE(21) & 0x08) !== 0) return { timestamp: batch.maxTimestamp, offset: Math.max(batch.baseOffset, fromOffset), leaderEpoch: batch.leaderEpoch };
  const r = readRecords(batch.bytes, MAX_DECOMPRESSED_BYTES);
  if (!r.ok) return undefined;
  let best: TimestampAndOffset | undefined;
  for (const rec of r.records) {
    if (rec.offset < fromOffset) continue;
    if (best === undefined || rec.timestamp > best.timestamp) best = { timestamp: rec.timestamp, offset: rec.offset, leaderEpoch: batch.leaderEpoch };
  }
  return best;
}

/** Whether a batch's base timestamp is readable (CreateTime batches keep it at 27). */
export function baseTimestampOf(batch: BatchView): number {
  return readInt64(batch.bytes, BASE_TIMESTAMP_AT);
}
