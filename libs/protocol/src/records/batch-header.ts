// The fixed 61-byte header of a RecordBatch v2: field offsets, a reader, and the
// attribute bits. Offsets are exported because the validator and the in-place rewriters
// read and patch single fields without decoding the rest; having one table keeps them
// from drifting apart.

import { DecodeError } from '../primitives/decode-error.ts';

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;

/** Header size; also the size of a batch with no records. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** Bytes up to and including magic: enough to tell which format the rest is in. */
export const HEADER_BYTES_UP_TO_MAGIC = 17;
/** batchLength of a batch with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - LOG_OVERHEAD;
export const CURRENT_MAGIC = 2;

export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_MASK = 0x10;
export const CONTROL_MASK = 0x20;
export const DELETE_HORIZON_MASK = 0x40;

export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** Unsigned. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

const TWO_POW_32 = 4294967296;

/**
 * A big-endian int64 as a number, or NaN when it is outside +-(2^53 - 1). NaN instead of
 * a throw so the validator's hot loop can test it without a try block.
 */
export function readInt64(buf: Buffer, pos: number): number {
  const hi = buf.readInt32BE(pos);
  const lo = buf.readUInt32BE(pos + 4);
  if (hi < -2097152 || hi > 2097151 || (hi === -2097152 && lo === 0)) return NaN;
  return hi * TWO_POW_32 + lo;
}

/**
 * Reads the header of the batch at `pos`. Throws DecodeError if fewer than 61 bytes
 * remain or an int64 field is not a safe integer. It does not check magic or the CRC:
 * callers decide what a bad batch means (see validate.ts).
 */
export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_BYTES) {
    throw new DecodeError('truncated', `batch header needs ${BATCH_HEADER_BYTES} bytes, ${Math.max(0, buf.length - pos)} left`, pos);
  }
  return {
    baseOffset: int64(buf, pos + BASE_OFFSET_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH_OFFSET),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: buf.readInt8(pos + MAGIC_OFFSET),
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: int64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: int64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: int64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

function int64(buf: Buffer, at: number): number {
  const v = readInt64(buf, at);
  if (Number.isNaN(v)) throw new DecodeError('unsafe_integer', 'int64 outside the safe integer range', at);
  return v;
}

/** Bits 0-2; values 5-7 are not a codec and must be rejected by the caller. */
export function compressionOf(attributes: number): number {
  return attributes & COMPRESSION_MASK;
}

export function timestampTypeOf(attributes: number): TimestampType {
  return (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_MASK) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_MASK) !== 0;
}

export function hasDeleteHorizon(attributes: number): boolean {
  return (attributes & DELETE_HORIZON_MASK) !== 0;
}
