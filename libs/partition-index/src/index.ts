// Public entry of @stratus/partition-index: what a broker's storage and the controller
// must agree on about committed data — the extent, the names of objects, the commit
// contract and the rules that judge a commit, the producer state that travels with it,
// retention planning and the largest batch storage holds. Pure rules and types, no I/O,
// so the controller can depend on them without shipping the storage engine.

export type { Extent, TopicPartition, Durability } from './extent.ts';
export { copyExtent, partitionKey } from './extent.ts';
export { CommitRefusedError, CommitTooLateError } from './committer.ts';
export type { ExtentCommitter, ExtentSource, ObjectCommit, CommitResult, CommitRejection, ProducerBatchRecord } from './committer.ts';
export { judgeCommit } from './judge-commit.ts';
export type { CommitJudgement, PartitionCommitState } from './judge-commit.ts';
export {
  PRODUCER_BATCH_WINDOW,
  DEFAULT_MAX_PRODUCERS_PER_PARTITION,
  producerBatchesOf,
  acceptedProducerBatches,
  copyProducerBatch,
  mergeProducerBatches,
  listProducerBatches,
  cloneProducerTable,
} from './producer-batches.ts';
export type { ProducerHistory, ProducerTable } from './producer-batches.ts';
export { InMemoryPartitionIndex } from './memory-index.ts';
export type { InMemoryPartitionIndexOptions } from './memory-index.ts';
export { streamSetObjectKey, compactedObjectKey, parseObjectKey } from './object-keys.ts';
export type { ParsedObjectKey } from './object-keys.ts';
export { planRetention, retentionTimestamp } from './retention.ts';
export type { RetentionPolicy, RetentionPlan } from './retention.ts';
export { BatchTooLargeError, DEFAULT_MAX_BATCH_BYTES, DEFAULT_PENDING_BYTES, WAL_ENTRY_HEADER_BYTES, maxBatchBytes } from './limits.ts';
export type { BatchLimitInputs } from './limits.ts';
