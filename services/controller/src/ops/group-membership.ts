// Group membership as far as offset expiry needs it. Members live in the brokers' group
// coordinators, in memory; the controller, which keeps the committed offsets, only
// learns from each coordinator when a group gains members, becomes Stable with a
// subscription, or becomes empty — and, from a broker registering or leaving, that
// everything that broker's coordinator held is gone. The records carry the controller's
// clock at the decision, so "empty since" replays to the same time after a restart.

import type { GroupMembershipReport } from '../controller-api.ts';
import { MAX_ITEMS_PER_RECORD } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';
import type { ControllerState } from '../state/state.ts';

const INT32_MAX = 2 ** 31 - 1;

function reportProblem(group: string, r: GroupMembershipReport, maxGroupIdBytes: number): string | undefined {
  if (typeof group !== 'string' || group.length === 0) return 'the group id is empty';
  if (Buffer.byteLength(group) > maxGroupIdBytes) return `the group id is longer than ${maxGroupIdBytes} bytes`;
  if (!Number.isSafeInteger(r.nodeId) || r.nodeId < 0 || r.nodeId > INT32_MAX) return `nodeId must be an int32 >= 0, got ${r.nodeId}`;
  if (r.subscribedTopics !== null && !r.subscribedTopics.every((t) => typeof t === 'string')) return 'subscribed topics must be strings';
  return undefined;
}

/**
 * Records a coordinator's report when it changes what the controller knows; a repeat is
 * no record. A subscription longer than one record may carry is kept as "not known",
 * which only means those offsets are kept while the group has members.
 */
export function decideGroupMembership(tx: Tx, ctx: DecideContext, group: string, report: GroupMembershipReport): void {
  const problem = reportProblem(group, report, ctx.options.maxGroupIdBytes);
  if (problem !== undefined) throw new RangeError(`recordGroupMembership: ${problem}`);
  const subscribed = report.hasMembers && report.subscribedTopics !== null && report.subscribedTopics.length <= MAX_ITEMS_PER_RECORD ? [...new Set(report.subscribedTopics)].sort() : null;
  const holders = tx.state.groups.get(group)?.holders;
  if (report.hasMembers) {
    const known = holders?.get(report.nodeId);
    if (known !== undefined && sameTopics(known, subscribed)) return;
  } else if (holders?.has(report.nodeId) !== true) {
    return;
  }
  tx.emit({ type: 'GroupMembershipChanged', group, nodeId: report.nodeId, hasMembers: report.hasMembers, subscribedTopics: subscribed, atMs: ctx.clock.nowMs() });
}

/** A broker registered (started) or left: its coordinator holds no members any more. */
export function decideCoordinatorReset(tx: Tx, ctx: DecideContext, nodeId: number): void {
  for (const g of tx.state.groups.values()) {
    if (g.holders.has(nodeId)) {
      tx.emit({ type: 'GroupCoordinatorReset', nodeId, atMs: ctx.clock.nowMs() });
      return;
    }
  }
}

function sameTopics(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** A group as the controller knows it: committed offsets, and which coordinators reported members. */
export interface GroupOverview {
  readonly group: string;
  /** Partitions with a committed offset. */
  readonly committedOffsets: number;
  /** Brokers whose coordinator reported members of the group (empty: the group has none, as far as reports go). */
  readonly coordinatorsWithMembers: readonly number[];
  /** When the last coordinator holding members reported it empty; null while one holds members or none ever reported. */
  readonly emptySinceMs: number | null;
}

/** Every group with committed offsets or reported members, sorted by name. */
export function groupOverviews(s: ControllerState): GroupOverview[] {
  const names = new Set([...s.offsets.keys(), ...s.groups.keys()]);
  return [...names].sort().map((group) => {
    const membership = s.groups.get(group);
    return {
      group,
      committedOffsets: s.offsets.get(group)?.size ?? 0,
      coordinatorsWithMembers: membership === undefined ? [] : [...membership.holders.keys()].sort((a, b) => a - b),
      emptySinceMs: membership?.emptySinceMs ?? null,
    };
  });
}
