// What the controller needs to know of a group's membership to expire its committed
// offsets as Kafka does, and when to tell it. Membership lives only here, in memory;
// the offsets live in the controller. So the coordinator reports each change of:
// - whether the group has members (any state but Empty and Dead): offsets of a group
//   without members expire a retention period after it became empty;
// - while Stable and speaking the consumer protocol, the topics its members subscribe
//   to: offsets of other topics may expire. In any other state the subscription is
//   reported as not known, which keeps every offset (Kafka expires unsubscribed topics
//   of Stable groups only, since KAFKA-13636: a rebalancing group's subscription is not
//   settled).
// A report repeating the last one is not sent, so a rebalance costs two small records
// (rebalancing, Stable again) and a heartbeat none.

import type { GroupMembershipReport } from '@stratus/controller';
import type { ClassicGroup } from './group.ts';

/** A subscription of more topics than this is reported as not known (it keeps every offset). */
export const MAX_REPORTED_TOPICS = 1000;

export function membershipReport(group: ClassicGroup, nodeId: number): GroupMembershipReport {
  const hasMembers = !group.is('Empty') && !group.is('Dead');
  const topics = group.is('Stable') && group.usesConsumerProtocol() ? group.subscribedTopics : null;
  const subscribedTopics = topics !== null && topics.size <= MAX_REPORTED_TOPICS ? [...topics].sort() : null;
  return { nodeId, hasMembers, subscribedTopics: hasMembers ? subscribedTopics : null };
}

/** The report to send after a transition, or undefined when it would tell nothing new. */
export function changedMembership(group: ClassicGroup, nodeId: number): GroupMembershipReport | undefined {
  if (group.is('Dead')) return undefined; // a removed group: it was Empty (reported) or the coordinator is closing
  const report = membershipReport(group, nodeId);
  const key = JSON.stringify([report.hasMembers, report.subscribedTopics]);
  // A group is created Empty and unreported: the controller knows nothing of it, which is the same.
  if (key === (group.reportedMembership ?? JSON.stringify([false, null]))) return undefined;
  group.reportedMembership = key;
  return report;
}
