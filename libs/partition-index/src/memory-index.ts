// An in-memory partition index implementing the committer contract: used by tests and
// the storage simulation, where it plays the controller (it survives broker crashes).
// The controller's persistent index keeps the same rules.

import { partitionKey } from './extent.ts';
import type { Extent, TopicPartition } from './extent.ts';
import type { CommitResult, ExtentCommitter, ExtentSource, ObjectCommit, ProducerBatchRecord } from './committer.ts';
import { judgeCommit } from './judge-commit.ts';
import { DEFAULT_MAX_PRODUCERS_PER_PARTITION, acceptedProducerBatches, listProducerBatches, mergeProducerBatches } from './producer-batches.ts';
import type { ProducerTable } from './producer-batches.ts';

interface PartitionState {
  leaderEpoch: number;
  logStartOffset: number;
  endOffset: number;
  /** In offset order; the first may start below logStartOffset after retention. */
  extents: Extent[];
  /** Idempotent-producer state of committed batches (bounded, see producer-batches.ts). */
  producers: ProducerTable;
}

export interface InMemoryPartitionIndexOptions {
  /** Producers whose batches are remembered per partition; least recently written evicted (default 1000). */
  readonly maxProducersPerPartition?: number;
}

export class InMemoryPartitionIndex implements ExtentCommitter, ExtentSource {
  private readonly partitions = new Map<string, PartitionState>();
  /** Results by object key, so a retried commit gets the answer of the first one. */
  private readonly committedObjects = new Map<string, CommitResult>();
  /** Count of successful commit calls that added extents (idempotent retries excluded). */
  commits = 0;
  private readonly maxProducersPerPartition: number;

  constructor(options: InMemoryPartitionIndexOptions = {}) {
    this.maxProducersPerPartition = options.maxProducersPerPartition ?? DEFAULT_MAX_PRODUCERS_PER_PARTITION;
    if (!Number.isSafeInteger(this.maxProducersPerPartition) || this.maxProducersPerPartition < 1) throw new RangeError('maxProducersPerPartition must be a positive integer');
  }

  /** Creates or updates a partition's leader epoch (epochs never decrease). */
  setLeaderEpoch(tp: TopicPartition, leaderEpoch: number): void {
    const p = this.state(tp, true)!;
    if (leaderEpoch < p.leaderEpoch) throw new Error(`leader epoch of ${partitionKey(tp.topicId, tp.partition)} cannot go from ${p.leaderEpoch} to ${leaderEpoch}`);
    p.leaderEpoch = leaderEpoch;
  }

  private state(tp: TopicPartition, create = false): PartitionState | undefined {
    const key = partitionKey(tp.topicId, tp.partition);
    let p = this.partitions.get(key);
    if (p === undefined && create) this.partitions.set(key, (p = { leaderEpoch: 0, logStartOffset: 0, endOffset: 0, extents: [], producers: new Map() }));
    return p;
  }

  async commit(c: ObjectCommit): Promise<CommitResult> {
    const earlier = this.committedObjects.get(c.objectKey);
    if (earlier !== undefined) return earlier;
    const { rejected, accepted } = judgeCommit(c.extents, (tp) => this.state(tp));
    for (const e of accepted) {
      const p = this.state(e)!;
      p.extents.push(e);
      p.endOffset = e.lastOffset + 1;
    }
    for (const b of acceptedProducerBatches(c.producers, accepted)) {
      const p = this.state(b);
      if (p !== undefined) mergeProducerBatches(p.producers, [b], this.maxProducersPerPartition);
    }
    const result = { rejected };
    this.committedObjects.set(c.objectKey, result);
    this.commits++;
    return result;
  }

  async committedEndOffset(tp: TopicPartition): Promise<number> {
    return this.state(tp)?.endOffset ?? 0;
  }

  async logStartOffset(tp: TopicPartition): Promise<number> {
    return this.state(tp)?.logStartOffset ?? 0;
  }

  async extentsFrom(tp: TopicPartition, offset: number, maxExtents: number): Promise<readonly Extent[]> {
    const p = this.state(tp);
    if (p === undefined) return [];
    // Binary search for the first extent whose lastOffset >= offset.
    let lo = 0;
    let hi = p.extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p.extents[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return p.extents.slice(lo, lo + maxExtents);
  }

  async producerBatches(tp: TopicPartition): Promise<readonly ProducerBatchRecord[]> {
    return listProducerBatches(this.state(tp)?.producers);
  }

  /** Every extent of a partition (tests, retention). */
  allExtents(tp: TopicPartition): readonly Extent[] {
    return this.state(tp)?.extents ?? [];
  }

  /** Moves the log start offset forward and drops extents wholly below it. */
  advanceLogStart(tp: TopicPartition, offset: number): void {
    const p = this.state(tp);
    if (p === undefined || offset <= p.logStartOffset) return;
    p.logStartOffset = Math.min(offset, p.endOffset);
    p.extents = p.extents.filter((e) => e.lastOffset >= p.logStartOffset);
  }

  /** Object keys some extent still points at (garbage collection keeps these). */
  referencedObjects(): Set<string> {
    const out = new Set<string>();
    for (const p of this.partitions.values()) for (const e of p.extents) out.add(e.objectKey);
    return out;
  }
}
