// The committer contract's per-partition rules, as one pure function shared by every
// partition index (the in-memory one in tests, the controller's): an extent is accepted
// only under the partition's current leader epoch and only at its committed end offset
// (several extents of one partition in one commit must follow each other), and a
// partition is all or nothing within a commit. Idempotence per object key is the
// caller's: it must answer a known key with its first result before judging.

import { partitionKey } from './extent.ts';
import type { Extent, TopicPartition } from './extent.ts';
import type { CommitResult } from './committer.ts';

export interface PartitionCommitState {
  readonly leaderEpoch: number;
  /** Offset after the last committed one. */
  readonly endOffset: number;
}

export interface CommitJudgement extends CommitResult {
  /** Extents to add, in commit order; none of a rejected partition. */
  readonly accepted: readonly Extent[];
}

export function judgeCommit(extents: readonly Extent[], partitionState: (tp: TopicPartition) => PartitionCommitState | undefined): CommitJudgement {
  const rejected: CommitResult['rejected'][number][] = [];
  const candidates: Extent[] = [];
  const nextEnd = new Map<string, number>();
  for (const e of extents) {
    const key = partitionKey(e.topicId, e.partition);
    const p = partitionState(e);
    if (p === undefined) {
      rejected.push({ topicId: e.topicId, partition: e.partition, reason: 'unknown_partition', detail: 'no such partition' });
      continue;
    }
    if (e.leaderEpoch !== p.leaderEpoch) {
      rejected.push({ topicId: e.topicId, partition: e.partition, reason: 'fenced', detail: `epoch ${e.leaderEpoch}, current ${p.leaderEpoch}` });
      continue;
    }
    const end = nextEnd.get(key) ?? p.endOffset;
    if (e.baseOffset !== end) {
      rejected.push({ topicId: e.topicId, partition: e.partition, reason: 'offset_mismatch', detail: `extent starts at ${e.baseOffset}, committed end is ${end}` });
      continue;
    }
    nextEnd.set(key, e.lastOffset + 1);
    candidates.push(e);
  }
  const rejectedKeys = new Set(rejected.map((r) => partitionKey(r.topicId, r.partition)));
  return { rejected, accepted: candidates.filter((e) => !rejectedKeys.has(partitionKey(e.topicId, e.partition))) };
}
