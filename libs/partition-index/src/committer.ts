// How the uploader records uploaded data: it commits an object's extents to the owner of
// the partition index (the controller; an in-memory index in tests). Until a commit
// succeeds nothing points at the object and the WAL keeps the data.
//
// Contract for implementations:
// - Idempotent per object key: committing the same object again (a retry after a lost
//   answer) succeeds without adding extents twice.
// - Per partition, an extent is accepted only if its leader epoch is the partition's
//   current one (older epochs are fenced) and its baseOffset equals the partition's
//   committed end offset (no gap, no overlap). Rejected partitions are reported, the
//   others are committed: one partition's fencing does not block the rest.
// - A thrown error means nothing is known to be committed; the caller retries — except
//   CommitRefusedError: the commit as a whole breaks a limit or a rule of the index (too
//   many extents or producer batches, a malformed extent) and will be refused again
//   however often it is retried. CommitTooLateError is the one refusal that is about the
//   object's name, not its content: the object was written too long ago to be committed
//   (the orphan sweep may delete it), and the same entries may be written again.
// - Producer batches of accepted partitions are remembered (the last five per producer,
//   a bounded number of producers per partition) and listed by producerBatches; those
//   of rejected partitions are not (see producer-batches.ts for the rules).

import type { Extent, TopicPartition } from './extent.ts';

export type CommitRejection = 'fenced' | 'offset_mismatch' | 'unknown_partition' | 'refused';

/** The committer refuses the whole commit for good (see the contract above); nothing was committed. */
export class CommitRefusedError extends Error {
  readonly permanent = true;
  constructor(message: string) {
    super(message);
    this.name = 'CommitRefusedError';
  }
}

/**
 * Refused because the object's key says it was written too long ago (more than half the
 * controller's orphan age): nothing was committed, and the entries can be uploaded again
 * as they are, under a fresh key.
 */
export class CommitTooLateError extends CommitRefusedError {
  constructor(message: string) {
    super(message);
    this.name = 'CommitTooLateError';
  }
}

export interface CommitResult {
  readonly rejected: readonly (TopicPartition & { readonly reason: CommitRejection; readonly detail: string })[];
}

/**
 * One idempotent-producer batch of a committed object: what a broker needs to answer a
 * retry of it with its original offset (Kafka's ProducerStateManager batch metadata).
 */
export interface ProducerBatchRecord extends TopicPartition {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly lastOffsetDelta: number;
  readonly baseOffset: number;
}

export interface ObjectCommit {
  readonly objectKey: string;
  readonly objectSize: number;
  readonly extents: readonly Extent[];
  /**
   * The producer batches in the object, per (partition, producer) at most the last five,
   * in offset order. Absent or empty when no batch carries a producer id.
   */
  readonly producers?: readonly ProducerBatchRecord[];
}

export interface ExtentCommitter {
  commit(commit: ObjectCommit): Promise<CommitResult>;
}

/** What partition logs ask the index: where committed data lies. */
export interface ExtentSource {
  /** Offset after the last committed one (0 for a new partition). */
  committedEndOffset(tp: TopicPartition): Promise<number>;
  /** Lowest offset still readable. */
  logStartOffset(tp: TopicPartition): Promise<number>;
  /**
   * Committed extents with lastOffset >= offset, in offset order, at most `maxExtents`.
   * Empty when the offset is at or past the committed end.
   */
  extentsFrom(tp: TopicPartition, offset: number, maxExtents: number): Promise<readonly Extent[]>;
  /**
   * The idempotent-producer state committed for the partition: per producer, its last
   * (at most five) committed batches, oldest first; producers least recently written
   * first. A partition leader seeds its producer state with these when it opens.
   */
  producerBatches(tp: TopicPartition): Promise<readonly ProducerBatchRecord[]>;
}
