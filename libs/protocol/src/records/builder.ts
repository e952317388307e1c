// Builds a valid RecordBatch v2 from plain records: what a producer client does. The
// broker never builds client batches, so this exists for tests, benches and tools; it
// favours clarity over speed and throws on input it cannot encode.

import { compress, CompressionType } from '../compression/index.ts';
import type { CompressOptions } from '../compression/index.ts';
import { Writer } from '../primitives/writer.ts';
import {
  ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  CONTROL_MASK,
  CRC_OFFSET,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
} from './batch-header.ts';
import { crc32c } from './crc32c.ts';

export type BytesInput = Uint8Array | string;

export interface BuildRecordHeader {
  key: string;
  value?: BytesInput | null;
}

export interface BuildRecord {
  key?: BytesInput | null;
  value?: BytesInput | null;
  headers?: readonly BuildRecordHeader[];
  /** Create time; defaults to the batch's baseTimestamp. */
  timestamp?: number;
}

export interface BuildBatchInput {
  records: readonly BuildRecord[];
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  compressOptions?: CompressOptions;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  /** Defaults to the first record's timestamp, or now when it has none. */
  baseTimestamp?: number;
  /**
   * Offsets the batch spans: lastOffset − baseOffset. Default records.length − 1. A larger
   * value makes a batch whose records are gone, as Kafka's log cleaner leaves them (an
   * empty batch covers offsets that must not be used again); consumers skip to its end.
   */
  lastOffsetDelta?: number;
  /**
   * When set the batch is LogAppendTime with this as maxTimestamp; otherwise it is
   * CreateTime and maxTimestamp is the largest record timestamp.
   */
  logAppendTime?: number;
}

function toBytes(v: BytesInput | null | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function varBytes(w: Writer, v: Uint8Array | null): void {
  if (v === null) return w.varint(-1);
  w.varint(v.length);
  w.raw(v);
}

function encodeRecord(record: BuildRecord, offsetDelta: number, timestampDelta: number): Buffer {
  const body = new Writer();
  body.int8(0);
  body.varlong(timestampDelta);
  body.varint(offsetDelta);
  varBytes(body, toBytes(record.key));
  varBytes(body, toBytes(record.value));
  const headers = record.headers ?? [];
  body.varint(headers.length);
  for (const h of headers) {
    varBytes(body, Buffer.from(h.key, 'utf8'));
    varBytes(body, toBytes(h.value));
  }
  return body.toBuffer();
}

/** Returns one complete batch with a valid CRC. */
export function buildRecordBatch(input: BuildBatchInput): Buffer {
  const { records } = input;
  const baseTimestamp = input.baseTimestamp ?? records[0]?.timestamp ?? Date.now();
  let maxTimestamp = records.length === 0 ? baseTimestamp : -Infinity;

  const body = new Writer();
  records.forEach((record, i) => {
    const timestamp = record.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const encoded = encodeRecord(record, i, timestamp - baseTimestamp);
    body.varint(encoded.length);
    body.raw(encoded);
  });
  const compression = input.compression ?? CompressionType.None;
  const section = compress(compression, body.toBuffer(), input.compressOptions);

  let attributes: number = compression;
  if (input.logAppendTime !== undefined) {
    attributes |= TIMESTAMP_TYPE_MASK;
    maxTimestamp = input.logAppendTime;
  }
  if (input.transactional === true) attributes |= TRANSACTIONAL_MASK;
  if (input.control === true) attributes |= CONTROL_MASK;

  const w = new Writer();
  w.int64(input.baseOffset ?? 0);
  w.int32(BATCH_HEADER_BYTES - LOG_OVERHEAD + section.length);
  w.int32(input.partitionLeaderEpoch ?? -1);
  w.int8(CURRENT_MAGIC);
  w.uint32(0); // CRC, filled in below
  w.int16(attributes);
  w.int32(input.lastOffsetDelta ?? records.length - 1);
  w.int64(baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(input.producerId ?? -1);
  w.int16(input.producerEpoch ?? -1);
  w.int32(input.baseSequence ?? -1);
  w.int32(records.length);
  w.raw(section);
  const batch = w.toBuffer();
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_OFFSET)), CRC_OFFSET);
  return batch;
}
