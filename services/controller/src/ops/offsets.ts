// Consumer group committed offsets, keyed by group, topic id and partition. Membership
// and generations live in the broker's group coordinator, which checks them before it
// calls here; the controller only keeps the offsets durable and refuses partitions that
// do not exist. Offsets of a deleted topic go with it (apply.ts); expiry is in
// offset-expiry.ts.

import { ErrorCode } from '@stratus/protocol';
import { partitionKey } from '@stratus/partition-index';
import type { TopicPartition } from '@stratus/partition-index';
import type { CommittedOffset, ItemResult, OffsetCommitItem } from '../controller-api.ts';
import type { OffsetCommitEntry } from '../state/records.ts';
import { partitionOf } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

function groupProblem(group: string, maxBytes: number): string | undefined {
  if (typeof group !== 'string' || group.length === 0) return 'The group id is empty';
  if (Buffer.byteLength(group) > maxBytes) return `The group id is longer than ${maxBytes} bytes`;
  return undefined;
}

export function decideCommitOffsets(tx: Tx, ctx: DecideContext, group: string, offsets: readonly OffsetCommitItem[]): (TopicPartition & ItemResult)[] {
  const groupError = groupProblem(group, ctx.options.maxGroupIdBytes);
  const existing = tx.state.offsets.get(group);
  const accepted: OffsetCommitEntry[] = [];
  const acceptedKeys = new Set<string>();
  let added = 0;
  const results = offsets.map((o): TopicPartition & ItemResult => {
    const tp = { topicId: o.topicId, partition: o.partition };
    if (groupError !== undefined) return { ...tp, errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: groupError };
    if (partitionOf(tx.state, o) === undefined) return { ...tp, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Partition ${partitionKey(o.topicId, o.partition)} does not exist.` };
    if (!Number.isSafeInteger(o.offset) || !Number.isSafeInteger(o.leaderEpoch)) return { ...tp, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Offset and leader epoch must be integers.' };
    if (o.metadata !== null && Buffer.byteLength(o.metadata) > ctx.options.maxOffsetMetadataBytes) {
      return { ...tp, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE, errorMessage: `Offset metadata is longer than ${ctx.options.maxOffsetMetadataBytes} bytes.` };
    }
    const key = partitionKey(o.topicId, o.partition);
    const isNew = existing?.has(key) !== true && !acceptedKeys.has(key);
    if (isNew && tx.state.offsetCount + added + 1 > ctx.options.maxCommittedOffsets) {
      // Kafka's answer when its offsets log cannot take a commit: not retriable, and
      // clients raise it to the application rather than retrying forever.
      return {
        ...tp,
        errorCode: ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
        errorMessage: `The controller holds ${ctx.options.maxCommittedOffsets} committed offsets, its limit (maxCommittedOffsets): delete unused groups or wait for their offsets to expire.`,
      };
    }
    if (isNew) added++;
    acceptedKeys.add(key);
    accepted.push({ topicId: o.topicId, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata });
    return { ...tp, errorCode: ErrorCode.NONE, errorMessage: null };
  });
  const commitTimestampMs = ctx.clock.nowMs();
  for (const part of chunks(accepted)) tx.emit({ type: 'OffsetsCommitted', group, commitTimestampMs, offsets: part });
  return results;
}

export function fetchOffsets(s: ControllerState, group: string, partitions: readonly TopicPartition[] | null): Map<string, CommittedOffset> {
  const committed = s.offsets.get(group);
  if (committed === undefined) return new Map();
  if (partitions === null) return new Map(committed);
  const out = new Map<string, CommittedOffset>();
  for (const tp of partitions) {
    const key = partitionKey(tp.topicId, tp.partition);
    const o = committed.get(key);
    if (o !== undefined) out.set(key, o);
  }
  return out;
}

export function decideDeleteOffsets(tx: Tx, group: string, partitions: readonly TopicPartition[]): void {
  const committed = tx.state.offsets.get(group);
  if (committed === undefined) return;
  const present = partitions.filter((tp) => committed.has(partitionKey(tp.topicId, tp.partition))).map((tp) => ({ topicId: tp.topicId, partition: tp.partition }));
  for (const part of chunks(present)) tx.emit({ type: 'OffsetsDeleted', group, partitions: part });
}

export function decideDeleteGroupOffsets(tx: Tx, group: string): void {
  if (tx.state.offsets.has(group)) tx.emit({ type: 'OffsetsDeleted', group, partitions: null });
}
