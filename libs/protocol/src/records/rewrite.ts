// In-place patches the broker applies to a validated batch before storing it: assign
// offsets, stamp the leader epoch, and apply LogAppendTime. baseOffset and
// partitionLeaderEpoch sit before the CRC'd range on purpose, so assigning them is two
// writes and no checksum; only the LogAppendTime rewrite touches CRC'd bytes.
//
// These functions trust that `pos` starts a batch that passed validateRecordBatches;
// misuse (an out-of-range value, a batch running past the buffer) throws RangeError.

import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  CRC_OFFSET,
  LOG_OVERHEAD,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  TIMESTAMP_TYPE_MASK,
} from './batch-header.ts';
import { crc32c } from './crc32c.ts';

const TWO_POW_32 = 4294967296;

/** Writes a safe integer as a big-endian int64. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`int64 value ${value} is not a safe integer`);
  const hi = Math.floor(value / TWO_POW_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_POW_32, pos + 4);
}

/** Total size of the batch at `pos`, checked against the buffer. */
function batchSize(buf: Buffer, pos: number): number {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_BYTES) throw new RangeError(`no batch header at byte ${pos}`);
  const size = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  if (size < BATCH_HEADER_BYTES || size > buf.length - pos) throw new RangeError(`batch at byte ${pos} runs past the buffer`);
  return size;
}

export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  batchSize(buf, pos);
  writeInt64(buf, pos + BASE_OFFSET_OFFSET, offset);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  batchSize(buf, pos);
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** Recomputes and stores the CRC-32C of the batch at `pos` after its CRC'd bytes changed. */
export function recomputeCrc(buf: Buffer, pos: number): void {
  const size = batchSize(buf, pos);
  buf.writeUInt32BE(crc32c(buf.subarray(pos + ATTRIBUTES_OFFSET, pos + size)), pos + CRC_OFFSET);
}

/**
 * Marks the batch as LogAppendTime with `timestampMs` as its maxTimestamp, which then
 * stands for every record's timestamp (record deltas are left as the producer wrote
 * them, as Kafka does). Skips the CRC when nothing changes, as Kafka does.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: number): void {
  batchSize(buf, pos);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const tsAt = pos + MAX_TIMESTAMP_OFFSET;
  if ((attributes & TIMESTAMP_TYPE_MASK) !== 0 && Number.isSafeInteger(timestampMs)) {
    const hi = Math.floor(timestampMs / TWO_POW_32);
    if (buf.readInt32BE(tsAt) === hi && buf.readUInt32BE(tsAt + 4) === timestampMs - hi * TWO_POW_32) return;
  }
  writeInt64(buf, tsAt, timestampMs);
  buf.writeInt16BE(attributes | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  recomputeCrc(buf, pos);
}
