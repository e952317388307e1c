// Produce-path validation of a records blob: the checks Kafka's broker applies to a
// client's v2 batches (DefaultRecordBatch.ensureValid and LogValidator.validateBatch)
// without decoding or decompressing any record. One pass over the blob; per batch the
// only real work is the CRC-32C, and the only allocations are the result object and
// the subarray view the native CRC needs.
//
// Policy that depends on the request (exactly one batch per produce request v3+,
// baseOffset 0 from clients, timestamp bounds) is left to the handler, which has the
// BatchInfo fields to decide it.

import { isCompressionType } from '../compression/index.ts';
import type { CompressionType } from '../compression/index.ts';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_MASK,
  CONTROL_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  HEADER_BYTES_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  TRANSACTIONAL_MASK,
  readInt64,
} from './batch-header.ts';
import { crc32c } from './crc32c.ts';

/** The smallest possible encoded record (every field one byte). */
const MIN_RECORD_BYTES = 7;

/** What a broker needs from a batch to append it, without looking at its records. */
export interface BatchInfo {
  /** Byte offset of the batch in the blob. */
  position: number;
  /** Total bytes of the batch, batchLength + 12. */
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  recordCount: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  compression: CompressionType;
  isTransactional: boolean;
  isControl: boolean;
}

export type BatchValidationErrorKind =
  /** Framing or checksum is wrong: the bytes are damaged (Kafka CORRUPT_MESSAGE). */
  | 'corrupt_message'
  /** Intact bytes that break a rule for client batches (Kafka INVALID_RECORD). */
  | 'invalid_record'
  /** A batch is over `maxBatchBytes` (Kafka MESSAGE_TOO_LARGE / RECORD_TOO_LARGE). */
  | 'too_large'
  /** Magic is not 2: a legacy message set or garbage. */
  | 'unsupported_magic';

export interface BatchValidationError {
  kind: BatchValidationErrorKind;
  message: string;
  /** Index of the offending batch in the blob (0-based). */
  batchIndex: number;
}

export type ValidatedBatches = { ok: true; batches: BatchInfo[] } | { ok: false; error: BatchValidationError };

export interface ValidationLimits {
  /** Largest accepted batch, header included (the topic's max.message.bytes). */
  maxBatchBytes: number;
}

function fail(kind: BatchValidationErrorKind, message: string, batchIndex: number): ValidatedBatches {
  return { ok: false, error: { kind, message, batchIndex } };
}

/** Validates every batch in `records`; never throws. An empty blob yields no batches. */
export function validateRecordBatches(records: Buffer, limits: ValidationLimits): ValidatedBatches {
  const batches: BatchInfo[] = [];
  const end = records.length;
  let pos = 0;
  let index = 0;
  try {
    while (pos < end) {
      const remaining = end - pos;
      if (remaining < HEADER_BYTES_UP_TO_MAGIC) {
        return fail('corrupt_message', `batch at byte ${pos} is truncated: ${remaining} bytes left`, index);
      }
      const magic = records.readInt8(pos + MAGIC_OFFSET);
      if (magic !== CURRENT_MAGIC) return fail('unsupported_magic', `batch at byte ${pos} has magic ${magic}`, index);
      const batchLength = records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
      if (batchLength < MIN_BATCH_LENGTH) {
        return fail('corrupt_message', `batch at byte ${pos} has batchLength ${batchLength}, below ${MIN_BATCH_LENGTH}`, index);
      }
      const size = batchLength + LOG_OVERHEAD;
      if (size > limits.maxBatchBytes) {
        return fail('too_large', `batch at byte ${pos} is ${size} bytes, over the ${limits.maxBatchBytes}-byte limit`, index);
      }
      if (size > remaining) {
        return fail('corrupt_message', `batch at byte ${pos} declares ${size} bytes, ${remaining} left`, index);
      }
      const storedCrc = records.readUInt32BE(pos + CRC_OFFSET);
      const actualCrc = crc32c(records.subarray(pos + ATTRIBUTES_OFFSET, pos + size));
      if (storedCrc !== actualCrc) {
        return fail('corrupt_message', `batch at byte ${pos} fails its CRC (stored ${storedCrc}, computed ${actualCrc})`, index);
      }

      const attributes = records.readInt16BE(pos + ATTRIBUTES_OFFSET);
      const compression = attributes & COMPRESSION_MASK;
      if (!isCompressionType(compression)) {
        return fail('corrupt_message', `batch at byte ${pos} has unknown compression type ${compression}`, index);
      }
      const baseOffset = readInt64(records, pos + BASE_OFFSET_OFFSET);
      const baseTimestamp = readInt64(records, pos + BASE_TIMESTAMP_OFFSET);
      const maxTimestamp = readInt64(records, pos + MAX_TIMESTAMP_OFFSET);
      const producerId = readInt64(records, pos + PRODUCER_ID_OFFSET);
      // NaN marks an int64 we cannot hold exactly; no real client sends one.
      if (Number.isNaN(baseOffset + baseTimestamp + maxTimestamp + producerId)) {
        return fail('corrupt_message', `batch at byte ${pos} has an int64 field outside the safe integer range`, index);
      }
      const lastOffsetDelta = records.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
      const recordCount = records.readInt32BE(pos + RECORDS_COUNT_OFFSET);
      if (recordCount <= 0) return fail('invalid_record', `batch at byte ${pos} has record count ${recordCount}`, index);
      if (lastOffsetDelta + 1 !== recordCount) {
        return fail(
          'invalid_record',
          `batch at byte ${pos} has lastOffsetDelta ${lastOffsetDelta} inconsistent with record count ${recordCount}`,
          index,
        );
      }
      // An uncompressed record takes at least 7 bytes (length, attributes, timestamp and
      // offset deltas, key and value lengths, header count: one byte each), so a count the
      // bytes cannot hold is a lie, checked without decoding a record: it would otherwise
      // burn offset space (a tiny batch claiming 2^31 - 1 records).
      if (compression === 0 && recordCount > (size - BATCH_HEADER_BYTES) / MIN_RECORD_BYTES) {
        return fail('invalid_record', `batch at byte ${pos} claims ${recordCount} records in ${size - BATCH_HEADER_BYTES} bytes`, index);
      }
      if ((attributes & CONTROL_MASK) !== 0) {
        return fail('invalid_record', `batch at byte ${pos} is a control batch; clients may not write control records`, index);
      }
      const baseSequence = records.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
      if (producerId >= 0 && baseSequence < 0) {
        return fail('invalid_record', `batch at byte ${pos} has producerId ${producerId} but sequence ${baseSequence}`, index);
      }

      batches.push({
        position: pos,
        size,
        baseOffset,
        lastOffsetDelta,
        recordCount,
        baseTimestamp,
        maxTimestamp,
        producerId,
        producerEpoch: records.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
        baseSequence,
        compression,
        isTransactional: (attributes & TRANSACTIONAL_MASK) !== 0,
        isControl: false,
      });
      pos += size;
      index++;
    }
  } catch (err) {
    // Unreachable by construction (every read is bounds-checked above); kept so a bug
    // here degrades to a rejected request instead of a crashed connection.
    return fail('corrupt_message', `batch at byte ${pos}: ${err instanceof Error ? err.message : String(err)}`, index);
  }
  return { ok: true, batches };
}
