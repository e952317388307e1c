// Public entry of @stratus/storage.

// Moved to @stratus/partition-index (the rules the controller shares); re-exported so that
// broker-side code importing them from here keeps working. One definition, there.
export type {
  Extent,
  TopicPartition,
  Durability,
  ExtentCommitter,
  ExtentSource,
  ObjectCommit,
  CommitResult,
  CommitRejection,
  ProducerBatchRecord,
  CommitJudgement,
  PartitionCommitState,
  ProducerHistory,
  ProducerTable,
  ParsedObjectKey,
  BatchLimitInputs,
  RetentionPolicy,
  RetentionPlan,
} from '@stratus/partition-index';
export {
  partitionKey,
  CommitRefusedError,
  CommitTooLateError,
  judgeCommit,
  PRODUCER_BATCH_WINDOW,
  DEFAULT_MAX_PRODUCERS_PER_PARTITION,
  producerBatchesOf,
  acceptedProducerBatches,
  mergeProducerBatches,
  listProducerBatches,
  cloneProducerTable,
  InMemoryPartitionIndex,
  streamSetObjectKey,
  compactedObjectKey,
  parseObjectKey,
  planRetention,
  retentionTimestamp,
  BatchTooLargeError,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_PENDING_BYTES,
  maxBatchBytes,
} from '@stratus/partition-index';

// Moved to @stratus/stream-set (the controller's compaction writes the format too); re-exported likewise.
export { buildStreamSet, readStreamSetIndex, parseFooter, parseIndex, StreamSetFormatError } from '@stratus/stream-set';
export type { StreamSetBatch, BuiltStreamSet } from '@stratus/stream-set';
export { STREAM_SET_MAGIC, STREAM_SET_VERSION, HEADER_BYTES, INDEX_ENTRY_BYTES, FOOTER_BYTES } from '@stratus/stream-set';

export { ByteBudget, BudgetExceededError } from './log/byte-budget.ts';
export { TailCache } from './log/tail-cache.ts';
export { Uploader, CommitRejectedError, UploaderStoppedError } from './log/uploader.ts';
export type { UploadEntry, UploaderOptions, UploaderStats, UploadTimings } from './log/uploader.ts';
export { PartitionLog, PartitionFailedError, AppendsStoppedError } from './log/partition-log.ts';
export type { TimestampAndOffset } from './log/batch-scan.ts';
export type { AppendInfo, AppendResult, ExtentReader, PartitionLogConfig, ReadResult } from './log/partition-log.ts';
export { rejectedBatchFiles } from './log/rejected-store.ts';
export { storeReader } from './log/store-reader.ts';
export { encodeWalEntryHeader, decodeWalEntry, WAL_ENTRY_HEADER_BYTES } from './log/wal-entry.ts';
export { StorageEngine } from './engine.ts';
export type { StorageEngineOptions, RecoverySummary } from './engine.ts';
export * from './cache/index.ts';
