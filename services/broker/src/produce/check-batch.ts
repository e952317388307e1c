// Everything Produce checks about one partition's records before it touches the partition,
// in the order Kafka's broker does, cheapest first: the header-level checks (framing,
// CRC-32C, counts, max.message.bytes; validate.ts), exactly one batch, codec and
// version, no control or transactional batches, then the records themselves
// (inspect-records.ts: count, offset deltas and timestamps agree with the header, after
// decompression with a cap), then the timestamp bounds of KIP-937 for CreateTime topics,
// so that no producer can plant records that retention by time never expires. A batch the
// producer marks LogAppendTime is stored as sent, and every record of it reads as its
// header's maxTimestamp: that is the timestamp bounded (as in Kafka, where
// record.timestamp() is maxTimestamp under that attribute), and NO_TIMESTAMP is refused.

import { ATTRIBUTES_OFFSET, CompressionType, ErrorCode, inspectRecords, TIMESTAMP_TYPE_MASK, validateRecordBatches } from '@stratus/protocol';
import type { BatchInfo } from '@stratus/protocol';
import type { TopicSettings } from '../topic-settings.ts';

export type CheckedBatch = { readonly ok: true; readonly batch: BatchInfo; readonly bytes: Buffer } | { readonly ok: false; readonly errorCode: number; readonly message: string };

const HEADER_ERRORS: Record<string, number> = {
  corrupt_message: ErrorCode.CORRUPT_MESSAGE,
  invalid_record: ErrorCode.INVALID_RECORD,
  too_large: ErrorCode.MESSAGE_TOO_LARGE,
  unsupported_magic: ErrorCode.INVALID_RECORD,
};

const RECORD_ERRORS: Record<string, number> = {
  corrupt_message: ErrorCode.CORRUPT_MESSAGE,
  invalid_record: ErrorCode.INVALID_RECORD,
  too_large: ErrorCode.MESSAGE_TOO_LARGE,
};

export interface CheckLimits {
  /** Most bytes the batch's records may decompress to. */
  readonly maxDecompressedBatchBytes: number;
  /** The broker's clock now, for the timestamp bounds. */
  readonly nowMs: number;
}

function refuse(errorCode: number, message: string): CheckedBatch {
  return { ok: false, errorCode, message };
}

export function checkBatch(records: Buffer | null, produceVersion: number, settings: TopicSettings, limits: CheckLimits): CheckedBatch {
  if (records === null || records.length === 0) return refuse(ErrorCode.INVALID_RECORD, 'no records');
  const validated = validateRecordBatches(records, { maxBatchBytes: settings.maxMessageBytes });
  if (!validated.ok) return refuse(HEADER_ERRORS[validated.error.kind] ?? ErrorCode.INVALID_RECORD, validated.error.message);
  if (validated.batches.length !== 1) return refuse(ErrorCode.INVALID_RECORD, `produce v3+ carries exactly one record batch per partition, got ${validated.batches.length}`);
  const batch = validated.batches[0]!;
  if (batch.compression === CompressionType.Zstd && produceVersion < 7) return refuse(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd needs produce v7 or later');
  if (batch.isControl) return refuse(ErrorCode.INVALID_RECORD, 'clients may not send control batches');
  if (batch.isTransactional) return refuse(ErrorCode.INVALID_TXN_STATE, 'transactions are not supported yet');
  const bytes = records.subarray(batch.position, batch.position + batch.size);
  const inspected = inspectRecords(bytes, batch, limits.maxDecompressedBatchBytes);
  if (!inspected.ok) return refuse(RECORD_ERRORS[inspected.kind] ?? ErrorCode.INVALID_RECORD, inspected.message);
  if (!settings.logAppendTime) {
    const earliest = limits.nowMs - settings.timestampBeforeMaxMs;
    const latest = limits.nowMs + settings.timestampAfterMaxMs;
    const markedAppendTime = (bytes.readInt16BE(ATTRIBUTES_OFFSET) & TIMESTAMP_TYPE_MASK) !== 0;
    if (markedAppendTime && batch.maxTimestamp === -1) return refuse(ErrorCode.INVALID_TIMESTAMP, 'a producer may not mark a batch LogAppendTime without a timestamp');
    // Records without a timestamp (-1) are not held against the bounds, as in Kafka.
    const oldest = markedAppendTime ? batch.maxTimestamp : inspected.minTimestamp;
    const newest = markedAppendTime ? batch.maxTimestamp : inspected.maxTimestamp;
    const outside = oldest !== undefined && oldest < earliest ? oldest : newest !== undefined && newest > latest ? newest : undefined;
    if (outside !== undefined) {
      return refuse(
        ErrorCode.INVALID_TIMESTAMP,
        `timestamp ${outside} is out of range: it must be within [${earliest}, ${latest}] (message.timestamp.before.max.ms / after.max.ms)`,
      );
    }
  }
  return { ok: true, batch, bytes };
}
