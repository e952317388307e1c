// Offset expiry, as Kafka does it since 2.1 (KIP-211) with KIP-496 and the Stable-only
// rule of KAFKA-13636, run with retention (offsets.retention.minutes):
// - a group without members: an offset expires `offsetsRetentionMs` after the later of
//   the group becoming empty and the offset's commit. Kafka counts from the emptying
//   alone, so an offset committed into an already empty group (kafka-consumer-groups
//   --reset-offsets) could expire at once; counting from the commit when it is later
//   keeps it a full period. A group never seen with members counts from the commit;
// - a Stable consumer-protocol group: only offsets of topics no member subscribes to
//   expire, `offsetsRetentionMs` after their commit;
// - any other group with members (rebalancing, another protocol type, a subscription
//   not known): nothing expires.
// Expired offsets are deleted like OffsetDelete's, so they leave OffsetFetch, group
// listings and the committed-offsets count alike.

import type { CommittedOffset } from '../controller-api.ts';
import type { TopicPartition } from '@stratus/partition-index';
import type { ControllerState, GroupMembership } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

/** Deletes the offsets expired at `nowMs`; returns how many. */
export function decideOffsetExpiry(tx: Tx, ctx: DecideContext, nowMs: number): number {
  const retentionMs = ctx.options.offsetsRetentionMs;
  const expired: { group: string; partitions: TopicPartition[] }[] = [];
  for (const [group, offsets] of tx.state.offsets) {
    const partitions = expiredOffsets(tx.state, tx.state.groups.get(group), offsets, nowMs, retentionMs);
    if (partitions.length > 0) expired.push({ group, partitions });
  }
  let count = 0;
  for (const { group, partitions } of expired) {
    for (const part of chunks(partitions)) tx.emit({ type: 'OffsetsDeleted', group, partitions: part });
    count += partitions.length;
  }
  return count;
}

function expiredOffsets(s: ControllerState, membership: GroupMembership | undefined, offsets: ReadonlyMap<string, CommittedOffset>, nowMs: number, retentionMs: number): TopicPartition[] {
  const out: TopicPartition[] = [];
  if (membership !== undefined && membership.holders.size > 0) {
    const subscribed = subscribedTopics(membership);
    if (subscribed === null) return out;
    for (const [key, o] of offsets) {
      const tp = fromKey(key);
      const name = s.topics.get(tp.topicId)?.name;
      if (name !== undefined && subscribed.has(name)) continue;
      if (nowMs - o.commitTimestampMs >= retentionMs) out.push(tp);
    }
    return out;
  }
  const emptySinceMs = membership?.emptySinceMs ?? Number.NEGATIVE_INFINITY;
  for (const [key, o] of offsets) {
    if (nowMs - Math.max(emptySinceMs, o.commitTimestampMs) >= retentionMs) out.push(fromKey(key));
  }
  return out;
}

/** The union of the coordinators' subscriptions; null when any of them is not known. */
function subscribedTopics(m: GroupMembership): Set<string> | null {
  const all = new Set<string>();
  for (const topics of m.holders.values()) {
    if (topics === null) return null;
    for (const t of topics) all.add(t);
  }
  return all;
}

/** partitionKey's inverse: "<topicId>:<partition>". */
function fromKey(key: string): TopicPartition {
  const cut = key.lastIndexOf(':');
  return { topicId: key.slice(0, cut), partition: Number(key.slice(cut + 1)) };
}
