// The record-level checks Kafka's LogValidator applies to a client's v2 batch, after the
// header-level ones in validate.ts: decompress (with a byte cap — the input comes from
// clients) and walk every record, checking that the records agree with the header — the
// record count, offset deltas 0, 1, 2, ... in order, every length inside its record, nothing
// after the last record, and the header's maxTimestamp equal to the newest record's (for
// CreateTime batches). A batch that lies would otherwise burn offsets, hide records from
// consumers or plant timestamps retention cannot see. Keys, values and headers are
// skipped, never copied; the walk returns only the oldest and newest timestamps, which the
// broker checks against message.timestamp.before/after.max.ms (records without a timestamp,
// -1, are left out of those, as Kafka leaves them out of its bounds check).

import { CompressionError, decompress } from '../compression/index.ts';
import { DecodeError } from '../primitives/decode-error.ts';
import { Reader } from '../primitives/reader.ts';
import { ATTRIBUTES_OFFSET, RECORDS_OFFSET, TIMESTAMP_TYPE_MASK } from './batch-header.ts';
import type { BatchInfo } from './validate.ts';

/** Smallest record: length, attributes, timestampDelta, offsetDelta, key, value, header count. */
const MIN_RECORD_BYTES = 7;

export type RecordsProblemKind =
  /** Decompression failed: the bytes are damaged (Kafka CORRUPT_MESSAGE). */
  | 'corrupt_message'
  /** The records contradict the header or are malformed (Kafka INVALID_RECORD). */
  | 'invalid_record'
  /** The records decompress to more than the cap. */
  | 'too_large';

export type InspectedRecords =
  | {
      readonly ok: true;
      /** Oldest and newest record timestamps, leaving out records without one (-1, Kafka's NO_TIMESTAMP); undefined when none has one. */
      readonly minTimestamp: number | undefined;
      readonly maxTimestamp: number | undefined;
    }
  | { readonly ok: false; readonly kind: RecordsProblemKind; readonly message: string };

function problem(kind: RecordsProblemKind, message: string): InspectedRecords {
  return { ok: false, kind, message };
}

/**
 * Walks the records of one batch that validateRecordBatches accepted (`batch` is its
 * BatchInfo, `bytes` the batch itself). Never throws.
 */
export function inspectRecords(bytes: Buffer, batch: BatchInfo, maxDecompressedBytes: number): InspectedRecords {
  let section = bytes.subarray(RECORDS_OFFSET, batch.size);
  if (batch.compression !== 0) {
    try {
      section = decompress(batch.compression, section, maxDecompressedBytes);
    } catch (e) {
      if (e instanceof CompressionError && e.kind === 'too_large') return problem('too_large', `the records decompress to more than ${maxDecompressedBytes} bytes`);
      return problem('corrupt_message', `the records do not decompress: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const count = batch.recordCount;
  if (count * MIN_RECORD_BYTES > section.length) return problem('invalid_record', `${count} records cannot fit in ${section.length} bytes`);
  const r = new Reader(section);
  let maxDelta = Number.NEGATIVE_INFINITY;
  // Record timestamps that are not NO_TIMESTAMP (-1): what Kafka holds against the bounds.
  let minStamped = Number.POSITIVE_INFINITY;
  let maxStamped = Number.NEGATIVE_INFINITY;
  try {
    for (let i = 0; i < count; i++) {
      const lengthAt = r.pos;
      const length = r.varint();
      if (length < MIN_RECORD_BYTES - 1 || length > r.remaining) return problem('invalid_record', `record ${i} declares ${length} bytes, ${r.remaining} left`);
      const recordEnd = r.pos + length;
      r.skip(1, 'record attributes');
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      if (offsetDelta !== i) return problem('invalid_record', `record ${i} has offset delta ${offsetDelta}`);
      skipNullableBytes(r, recordEnd, 'key');
      skipNullableBytes(r, recordEnd, 'value');
      const headers = r.varint();
      // Each header takes at least two bytes (key length, value length).
      if (headers < 0 || headers * 2 > recordEnd - r.pos) return problem('invalid_record', `record ${i} has header count ${headers}`);
      for (let h = 0; h < headers; h++) {
        const keyLength = r.varint();
        if (keyLength < 0 || keyLength > recordEnd - r.pos) return problem('invalid_record', `record ${i} header ${h} has key length ${keyLength}`);
        r.skip(keyLength, 'header key');
        skipNullableBytes(r, recordEnd, 'header value');
      }
      if (r.pos !== recordEnd) return problem('invalid_record', `record ${i} at byte ${lengthAt} declares ${length} bytes but its fields take ${r.pos - (recordEnd - length)}`);
      if (timestampDelta > maxDelta) maxDelta = timestampDelta;
      const timestamp = batch.baseTimestamp + timestampDelta;
      if (timestamp !== -1) {
        if (timestamp < minStamped) minStamped = timestamp;
        if (timestamp > maxStamped) maxStamped = timestamp;
      }
    }
  } catch (e) {
    // The Reader's bounds checks: a field runs past its record or the section.
    return problem('invalid_record', e instanceof DecodeError ? e.message : String(e));
  }
  if (r.remaining !== 0) return problem('invalid_record', `${r.remaining} bytes after record ${count - 1} (the header says ${count} records)`);
  const maxTimestamp = batch.baseTimestamp + maxDelta;
  if (!Number.isSafeInteger(maxTimestamp) || (minStamped !== Number.POSITIVE_INFINITY && !Number.isSafeInteger(minStamped))) {
    return problem('invalid_record', 'a record timestamp is outside the safe integer range');
  }
  const logAppendTime = (bytes.readInt16BE(ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_MASK) !== 0;
  if (!logAppendTime && maxTimestamp !== batch.maxTimestamp) {
    return problem('invalid_record', `the header's maxTimestamp ${batch.maxTimestamp} is not the newest record's timestamp ${maxTimestamp}`);
  }
  return minStamped === Number.POSITIVE_INFINITY ? { ok: true, minTimestamp: undefined, maxTimestamp: undefined } : { ok: true, minTimestamp: minStamped, maxTimestamp: maxStamped };
}

/** Skips a varint-length field (-1: null) that must end inside its record. */
function skipNullableBytes(r: Reader, recordEnd: number, what: string): void {
  const at = r.pos;
  const length = r.varint();
  if (length < -1 || length > recordEnd - r.pos) r.fail('invalid_length', `${what} length ${length}`, at);
  if (length > 0) r.skip(length, what);
}
