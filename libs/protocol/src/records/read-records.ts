// Decodes the records of one batch: the consumer-side view (tools, tests, compaction,
// anything that needs keys and values). The produce and fetch paths never call this:
// they move batches as opaque bytes. It does not verify the CRC; run
// validateRecordBatches first when the bytes are untrusted. Every failure comes back
// as a value, and decompression is capped so a small batch cannot expand without bound.

import { CompressionError, decompress, isCompressionType } from '../compression/index.ts';
import { DecodeError } from '../primitives/decode-error.ts';
import { Reader } from '../primitives/reader.ts';
import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OFFSET,
  COMPRESSION_MASK,
  CURRENT_MAGIC,
  HEADER_BYTES_UP_TO_MAGIC,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  readInt64,
} from './batch-header.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  /** Absolute: baseOffset + offsetDelta. */
  offset: number;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime. */
  timestamp: number;
  /** Views into the batch (or its decompressed copy), not copies. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type ReadRecordsErrorKind =
  /** The batch header or framing is unusable. */
  | 'corrupt_batch'
  | 'unsupported_magic'
  /** The compressed section is not valid data for its codec. */
  | 'decompression_failed'
  /** Decompressed records would exceed `maxDecompressedBytes`. */
  | 'too_large'
  /** A record inside the (decompressed) section is malformed, or the count is off. */
  | 'corrupt_record';

export interface ReadRecordsError {
  kind: ReadRecordsErrorKind;
  message: string;
  cause?: unknown;
}

export type RecordsResult = { ok: true; records: DecodedRecord[] } | { ok: false; error: ReadRecordsError };

/** Smallest record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_BYTES = 7;

function fail(kind: ReadRecordsErrorKind, message: string, cause?: unknown): RecordsResult {
  return { ok: false, error: cause === undefined ? { kind, message } : { kind, message, cause } };
}

/**
 * Decodes the batch starting at byte 0 of `batch`; bytes after the batch are ignored.
 * Never throws.
 */
export function readRecords(batch: Buffer, maxDecompressedBytes: number): RecordsResult {
  if (batch.length < HEADER_BYTES_UP_TO_MAGIC) return fail('corrupt_batch', `${batch.length} bytes is too short for a batch`);
  const magic = batch.readInt8(MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) return fail('unsupported_magic', `magic ${magic}`);
  if (batch.length < BATCH_HEADER_BYTES) return fail('corrupt_batch', `batch header truncated at ${batch.length} bytes`);
  const size = batch.readInt32BE(BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
  if (size < BATCH_HEADER_BYTES || size > batch.length) {
    return fail('corrupt_batch', `batch declares ${size} bytes, buffer holds ${batch.length}`);
  }
  const baseOffset = readInt64(batch, BASE_OFFSET_OFFSET);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP_OFFSET);
  const maxTimestamp = readInt64(batch, MAX_TIMESTAMP_OFFSET);
  if (Number.isNaN(baseOffset + baseTimestamp + maxTimestamp)) {
    return fail('corrupt_batch', 'an int64 header field is outside the safe integer range');
  }
  const attributes = batch.readInt16BE(ATTRIBUTES_OFFSET);
  const compression = attributes & COMPRESSION_MASK;
  if (!isCompressionType(compression)) return fail('corrupt_batch', `unknown compression type ${compression}`);
  const logAppendTime = (attributes & TIMESTAMP_TYPE_MASK) !== 0;
  const count = batch.readInt32BE(RECORDS_COUNT_OFFSET);
  if (count < 0) return fail('corrupt_batch', `record count ${count}`);

  let section = batch.subarray(RECORDS_OFFSET, size);
  if (compression !== 0) {
    try {
      section = decompress(compression, section, maxDecompressedBytes);
    } catch (err) {
      if (err instanceof CompressionError && err.kind === 'too_large') return fail('too_large', err.message, err);
      return fail('decompression_failed', err instanceof Error ? err.message : String(err), err);
    }
  }
  // Reject an impossible count before building anything for it.
  if (count * MIN_RECORD_BYTES > section.length) {
    return fail('corrupt_record', `${count} records cannot fit in ${section.length} bytes`);
  }

  const records: DecodedRecord[] = [];
  const r = new Reader(section);
  try {
    for (let i = 0; i < count; i++) {
      const lengthAt = r.pos;
      const length = r.varint();
      if (length < 0 || length > r.remaining) r.fail('invalid_length', `record length ${length}`, lengthAt);
      const recordEnd = r.pos + length;
      r.int8(); // record attributes: unused since v2
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      const key = nullableVarBytes(r);
      const value = nullableVarBytes(r);
      const headerCountAt = r.pos;
      const headerCount = r.varint();
      // Each header takes at least two bytes (key length, value length).
      if (headerCount < 0 || headerCount * 2 > recordEnd - r.pos) {
        r.fail('invalid_length', `header count ${headerCount}`, headerCountAt);
      }
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const keyAt = r.pos;
        const keyLength = r.varint();
        if (keyLength < 0) r.fail('invalid_length', `header key length ${keyLength}`, keyAt);
        r.need(keyLength, 'header key');
        const headerKey = section.toString('utf8', r.pos, r.pos + keyLength);
        r.pos += keyLength;
        headers.push({ key: headerKey, value: nullableVarBytes(r) });
      }
      if (r.pos !== recordEnd) {
        r.fail('invalid_length', `record declares ${length} bytes but its fields take ${r.pos - (recordEnd - length)}`, lengthAt);
      }
      const offset = baseOffset + offsetDelta;
      const timestamp = logAppendTime ? maxTimestamp : baseTimestamp + timestampDelta;
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(timestamp)) {
        r.fail('unsafe_integer', 'record offset or timestamp outside the safe integer range', lengthAt);
      }
      records.push({ offset, timestamp, key, value, headers });
    }
    if (r.remaining !== 0) r.fail('trailing_bytes', `${r.remaining} bytes after record ${count}`);
  } catch (err) {
    if (err instanceof DecodeError) return fail('corrupt_record', err.message, err);
    return fail('corrupt_record', err instanceof Error ? err.message : String(err), err);
  }
  return { ok: true, records };
}

/** Record-format bytes: zigzag varint length, -1 for null. Zero-copy. */
function nullableVarBytes(r: Reader): Buffer | null {
  const at = r.pos;
  const len = r.varint();
  if (len === -1) return null;
  if (len < -1) r.fail('invalid_length', `bytes length ${len}`, at);
  return r.raw(len);
}
