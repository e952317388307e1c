// Public entry of @stratus/storage.

export type { Extent, TopicPartition, Durability } from './extent.ts';
export { partitionKey } from './extent.ts';
export { buildStreamSet } from './stream-set/writer.ts';
export type { StreamSetBatch, BuiltStreamSet } from './stream-set/writer.ts';
export { readStreamSetIndex, parseFooter, parseIndex, StreamSetFormatError } from './stream-set/reader.ts';
export * from './stream-set/format.ts';
export { CommitRefusedError, CommitTooLateError } from './commit/committer.ts';
export type { ExtentCommitter, ExtentSource, ObjectCommit, CommitResult, CommitRejection, ProducerBatchRecord } from './commit/committer.ts';
export {
  PRODUCER_BATCH_WINDOW,
  DEFAULT_MAX_PRODUCERS_PER_PARTITION,
  producerBatchesOf,
  acceptedProducerBatches,
  mergeProducerBatches,
  listProducerBatches,
  cloneProducerTable,
} from './commit/producer-batches.ts';
export type { ProducerHistory, ProducerTable } from './commit/producer-batches.ts';
export { InMemoryPartitionIndex } from './commit/memory-index.ts';
export { judgeCommit } from './commit/judge-commit.ts';
export type { CommitJudgement, PartitionCommitState } from './commit/judge-commit.ts';
export { ByteBudget, BudgetExceededError } from './log/byte-budget.ts';
export { TailCache } from './log/tail-cache.ts';
export { Uploader, CommitRejectedError, UploaderStoppedError } from './log/uploader.ts';
export type { UploadEntry, UploaderOptions, UploaderStats } from './log/uploader.ts';
export { PartitionLog, PartitionFailedError } from './log/partition-log.ts';
export type { TimestampAndOffset } from './log/batch-scan.ts';
export type { AppendInfo, AppendResult, ExtentReader, PartitionLogConfig, ReadResult } from './log/partition-log.ts';
export { streamSetObjectKey, compactedObjectKey, parseObjectKey } from './log/object-keys.ts';
export type { ParsedObjectKey } from './log/object-keys.ts';
export { rejectedBatchFiles } from './log/rejected-store.ts';
export { storeReader } from './log/store-reader.ts';
export { encodeWalEntryHeader, decodeWalEntry, WAL_ENTRY_HEADER_BYTES } from './log/wal-entry.ts';
export { StorageEngine } from './engine.ts';
export { BatchTooLargeError, DEFAULT_MAX_BATCH_BYTES, DEFAULT_PENDING_BYTES, maxBatchBytes } from './log/limits.ts';
export type { BatchLimitInputs } from './log/limits.ts';
export type { StorageEngineOptions, RecoverySummary } from './engine.ts';
export { planRetention, retentionTimestamp } from './retention.ts';
export { compactionRuns, selectCompactionTasks } from './compaction/plan.ts';
export type { CompactionBudget, CompactionLimits, CompactionTask, PartitionCompactionInput } from './compaction/plan.ts';
export { Compactor, packMerges } from './compaction/compactor.ts';
export type { CompactionSink, CompactorOptions, CompactorRunStats, FailedMerge, WrittenMerge, WrittenObject } from './compaction/compactor.ts';
export { planReads } from './compaction/read-plan.ts';
export type { RangeRead, ReadPlanOptions } from './compaction/read-plan.ts';
export { RateLimiter } from './compaction/rate-limiter.ts';
export { ExtentBytesError, verifyExtentBytes } from './compaction/verify.ts';
export type { RetentionPolicy, RetentionPlan } from './retention.ts';
export * from './cache/index.ts';
