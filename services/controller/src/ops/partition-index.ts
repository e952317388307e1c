// Commits to the partition index and DeleteRecords, with exactly the rules of
// @stratus/partition-index's InMemoryPartitionIndex (the ExtentCommitter contract):
// - idempotent per object key: a known key gets the first answer again (the caller
//   checks that before deciding, see Controller.commit);
// - per partition, an extent is accepted only under the partition's current leader
//   epoch ('fenced' otherwise) and only at the committed end offset ('offset_mismatch'),
//   where several extents of one partition in one commit must follow each other;
// - atomic per partition: one rejected extent rejects the partition's other extents in
//   the commit; other partitions are still committed.
// - producer batches are recorded for the accepted partitions only (the record carries
//   just those), so a fenced leader's batches never enter the producer state.
// In addition, a malformed commit (an extent naming another object, lastOffset before
// baseOffset) or one over the limits (too many extents or producer batches) throws
// CommitRefusedError: storing it would corrupt the index or outgrow a journal entry, and
// the caller must not retry it as it is. So does a late one: an object whose key says it
// was written more than half the orphan age ago (a commit retried through a long
// outage) may be deleted by the orphan sweep at any moment, so it must not enter the
// index; the uploader writes its entries again under fresh keys.

import { ErrorCode } from '@stratus/protocol';
import { acceptedProducerBatches, CommitRefusedError, CommitTooLateError, copyExtent, copyProducerBatch, judgeCommit, parseObjectKey, partitionKey } from '@stratus/partition-index';
import type { CommitResult, ObjectCommit, TopicPartition } from '@stratus/partition-index';
import type { ObjectCommitted } from '../state/records.ts';
import { commitMaxAgeMs } from '../config/gc-options.ts';
import type { ItemResult } from '../controller-api.ts';
import type { CommitRejected } from '../state/records.ts';
import { partitionOf } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

function commitProblem(c: ObjectCommit, maxExtents: number, maxProducerBatches: number): string | undefined {
  if (typeof c.objectKey !== 'string' || c.objectKey.length === 0) return 'objectKey must be a non-empty string';
  if (!Number.isSafeInteger(c.objectSize) || c.objectSize < 0) return `objectSize must be a non-negative integer, got ${c.objectSize}`;
  if (c.extents.length > maxExtents) return `${c.extents.length} extents exceed maxExtentsPerCommit (${maxExtents})`;
  if ((c.producers?.length ?? 0) > maxProducerBatches) return `${c.producers!.length} producer batches exceed maxProducerBatchesPerCommit (${maxProducerBatches})`;
  for (const e of c.extents) {
    if (e.objectKey !== c.objectKey || e.objectSize !== c.objectSize) return `extent of ${partitionKey(e.topicId, e.partition)} names object ${e.objectKey} (${e.objectSize} bytes), not ${c.objectKey} (${c.objectSize} bytes)`;
    const ints = [e.partition, e.baseOffset, e.lastOffset, e.position, e.length, e.maxTimestamp, e.leaderEpoch];
    if (!ints.every(Number.isSafeInteger)) return `extent of ${partitionKey(e.topicId, e.partition)} has a field that is not a safe integer`;
    if (e.baseOffset < 0 || e.lastOffset < e.baseOffset) return `extent of ${partitionKey(e.topicId, e.partition)} has offsets ${e.baseOffset}..${e.lastOffset}`;
    if (e.position < 0 || e.length < 0 || e.position + e.length > c.objectSize) return `extent of ${partitionKey(e.topicId, e.partition)} has bytes ${e.position}+${e.length} outside the ${c.objectSize}-byte object`;
  }
  for (const b of c.producers ?? []) {
    const ints = [b.partition, b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta, b.baseOffset];
    if (typeof b.topicId !== 'string' || !ints.every(Number.isSafeInteger)) return `producer batch of ${partitionKey(b.topicId, b.partition)} has a field that is not a safe integer`;
    if (b.producerId < 0 || b.baseOffset < 0 || b.lastOffsetDelta < 0) return `producer batch of ${partitionKey(b.topicId, b.partition)} has producer id ${b.producerId}, offsets ${b.baseOffset}+${b.lastOffsetDelta}`;
  }
  return undefined;
}

export function decideCommit(tx: Tx, ctx: DecideContext, c: ObjectCommit): CommitResult {
  const problem = commitProblem(c, ctx.options.maxExtentsPerCommit, ctx.options.maxProducerBatchesPerCommit);
  // Refused for good: retrying the same commit cannot help (the uploader splits the object).
  if (problem !== undefined) throw new CommitRefusedError(`commit of ${c.objectKey}: ${problem}`);
  const maxAgeMs = commitMaxAgeMs(ctx.options.orphanSweep);
  const writtenAtMs = parseObjectKey(c.objectKey)?.writtenAtMs;
  if (maxAgeMs !== undefined && writtenAtMs !== undefined && writtenAtMs < ctx.clock.nowMs() - maxAgeMs) {
    throw new CommitTooLateError(`commit of ${c.objectKey}: the object was written at ${new Date(writtenAtMs).toISOString()}, more than ${maxAgeMs} ms ago; the orphan sweep may delete it, so it is not committed`);
  }
  const judged = judgeCommit(c.extents, (tp) => partitionOf(tx.state, tp));
  const rejected: CommitRejected[] = [...judged.rejected];
  // Copies: the caller may reuse its objects; the index keeps its own immutable ones.
  const extents = judged.accepted.map(copyExtent);
  const producers = acceptedProducerBatches(c.producers, judged.accepted).map(copyProducerBatch);
  const record: ObjectCommitted = { type: 'ObjectCommitted', objectKey: c.objectKey, objectSize: c.objectSize, extents, rejected, committedAtMs: ctx.clock.nowMs() };
  // Producer state in bounded chunks: the first rides with the commit, the rest follow it.
  const [first, ...more] = chunks(producers);
  tx.emit(first !== undefined ? { ...record, producers: first } : record);
  for (const chunk of more) tx.emit({ type: 'ProducerBatchesCommitted', objectKey: c.objectKey, producers: chunk });
  return { rejected };
}

/** DeleteRecords: moves the log start up to `offset` (-1: the committed end); never back. */
export function decideDeleteRecords(tx: Tx, tp: TopicPartition, offset: number): ItemResult & { logStartOffset: number } {
  const p = partitionOf(tx.state, tp);
  if (p === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Partition ${partitionKey(tp.topicId, tp.partition)} does not exist.`, logStartOffset: -1 };
  const target = offset === -1 ? p.endOffset : offset;
  if (!Number.isSafeInteger(target) || target < 0 || target > p.endOffset) {
    return {
      errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
      errorMessage: `Cannot delete records up to offset ${offset}: the committed end offset is ${p.endOffset}.`,
      logStartOffset: p.logStartOffset,
    };
  }
  if (target > p.logStartOffset) tx.emit({ type: 'LogStartAdvanced', topicId: tp.topicId, partition: tp.partition, logStartOffset: target });
  return { errorCode: ErrorCode.NONE, errorMessage: null, logStartOffset: p.logStartOffset };
}
