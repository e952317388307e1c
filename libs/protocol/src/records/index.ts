// Public surface of RecordBatch v2 handling: validate and rewrite batches as opaque bytes
// on the produce path, decode records where keys and values are needed, build batches
// for tests and tools.

export {
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
  DELETE_HORIZON_MASK,
  HEADER_BYTES_UP_TO_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_MASK,
  TimestampType,
  compressionOf,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  readBatchHeader,
  readInt64,
  timestampTypeOf,
} from './batch-header.ts';
export type { BatchHeader } from './batch-header.ts';
export { crc32c } from './crc32c.ts';
export { validateRecordBatches } from './validate.ts';
export type { BatchInfo, BatchValidationError, BatchValidationErrorKind, ValidatedBatches, ValidationLimits } from './validate.ts';
export { inspectRecords } from './inspect-records.ts';
export type { InspectedRecords, RecordsProblemKind } from './inspect-records.ts';
export { recomputeCrc, setBaseOffset, setLogAppendTime, setPartitionLeaderEpoch, writeInt64 } from './rewrite.ts';
export { readRecords } from './read-records.ts';
export type { DecodedRecord, ReadRecordsError, ReadRecordsErrorKind, RecordHeader, RecordsResult } from './read-records.ts';
export { buildRecordBatch } from './builder.ts';
export type { BuildBatchInput, BuildRecord, BuildRecordHeader, BytesInput } from './builder.ts';
