// The state of one classic-protocol group (JoinGroup/SyncGroup/Heartbeat/LeaveGroup):
// its members, generation, selected protocol and leader, with the bookkeeping Kafka's
// ClassicGroup keeps (members awaiting a join or sync answer, pending members that were
// given an id with MEMBER_ID_REQUIRED, members that have not synced yet). Pure data and
// small rules; timers and request handling live in coordinator.ts.

import { ConsumerProtocolSubscriptionSpec, ErrorCode, messageCodec, Reader } from '@stratus/protocol';
import type { ConsumerProtocolSubscription } from '@stratus/protocol';
import type { TimerHandle } from './timers.ts';

/** Kafka's classic group states, spelled as DescribeGroups and ListGroups report them. */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export interface JoinGroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly metadata: Buffer;
}

/** A JoinGroup answer, independent of the API version it is encoded in. */
export interface JoinGroupResult {
  readonly errorCode: number;
  /** -1 with an error. */
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** '' when there is no leader (errors). */
  readonly leaderId: string;
  readonly memberId: string;
  /** JoinGroup v9+: the leader is told it need not compute an assignment (static leader rejoin). */
  readonly skipAssignment: boolean;
  /** Filled for the leader only. */
  readonly members: readonly JoinGroupMember[];
}

export interface SyncGroupResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, skipAssignment: false, members: [] };
}

export function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export class GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: readonly GroupProtocol[];
  assignment: Buffer = EMPTY_BYTES;
  awaitingJoin: ((result: JoinGroupResult) => void) | null = null;
  awaitingSync: ((result: SyncGroupResult) => void) | null = null;
  /** Joined but not yet through a completed join phase: its heartbeat deadline is the new-member join timeout. */
  isNew = false;
  heartbeat: TimerHandle | null = null;

  constructor(init: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    protocolType: string;
    rebalanceTimeoutMs: number;
    sessionTimeoutMs: number;
    protocols: readonly GroupProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocols = init.protocols;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  /**
   * Whether an expired heartbeat deadline spares this member: members parked in a
   * JoinGroup or SyncGroup cannot heartbeat, except new members, which must complete
   * their first join before the new-member timeout.
   */
  hasSatisfiedHeartbeat(): boolean {
    return !this.isNew && (this.awaitingJoin !== null || this.awaitingSync !== null);
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => {
      const mine = this.protocols[i];
      return mine !== undefined && mine.name === p.name && mine.metadata.equals(p.metadata);
    });
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name;
  }

  metadataFor(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  completeJoin(result: JoinGroupResult): boolean {
    const resolve = this.awaitingJoin;
    if (resolve === null) return false;
    this.awaitingJoin = null;
    resolve(result);
    return true;
  }

  completeSync(result: SyncGroupResult): boolean {
    const resolve = this.awaitingSync;
    if (resolve === null) return false;
    this.awaitingSync = null;
    resolve(result);
    return true;
  }
}

export class ClassicGroup {
  readonly groupId: string;
  state: GroupState = 'Empty';
  previousState: GroupState = 'Dead';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion-ordered: the first remaining member becomes leader when the leader leaves. */
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Members that received the join answer of this generation but have not sent SyncGroup. */
  readonly pendingSyncMembers = new Set<string>();
  /** A member joined during the initial (delayed) rebalance: extend the delay. */
  newMemberAdded = false;
  joinTimer: TimerHandle | null = null;
  syncTimer: TimerHandle | null = null;
  /** Topics the members subscribe to (consumer protocol); null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;
  /** What the controller was last told of this group's membership (membership-report.ts). */
  reportedMembership: string | null = null;
  private numAwaitingJoin = 0;
  private readonly protocolVotes = new Map<string, number>();
  private readonly onTransition: ((group: ClassicGroup) => void) | undefined;

  /** `onTransition` runs after every state change (the coordinator reports membership from it). */
  constructor(groupId: string, onTransition?: (group: ClassicGroup) => void) {
    this.groupId = groupId;
    this.onTransition = onTransition;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition ${this.state} -> ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.onTransition?.(this);
  }

  /** Whether a rebalance may start from the current state. */
  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  get size(): number {
    return this.members.size;
  }

  get awaitingJoinCount(): number {
    return this.numAwaitingJoin;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  /** The largest rebalance timeout of the members: how long a join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  add(member: GroupMember, awaitingJoin: ((result: JoinGroupResult) => void) | null): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = awaitingJoin;
    if (awaitingJoin !== null) this.numAwaitingJoin++;
    this.pendingMembers.get(member.memberId)?.cancel();
    this.pendingMembers.delete(member.memberId);
  }

  /** Removes a member (or pending member). Its outstanding answers are the caller's to complete first. */
  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.awaitingJoin !== null) {
        member.awaitingJoin = null;
        this.numAwaitingJoin--;
      }
      member.heartbeat?.cancel();
      member.heartbeat = null;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.leaderId === memberId) {
      const next = this.members.keys().next();
      this.leaderId = next.done === true ? null : next.value;
    }
    this.pendingMembers.get(memberId)?.cancel();
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  /** Replaces the protocols, timeouts and join callback of a known member. */
  updateMember(
    member: GroupMember,
    protocols: readonly GroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    awaitingJoin: ((result: JoinGroupResult) => void) | null,
  ): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (awaitingJoin !== null && member.awaitingJoin === null) this.numAwaitingJoin++;
    else if (awaitingJoin === null && member.awaitingJoin !== null) this.numAwaitingJoin--;
    member.awaitingJoin = awaitingJoin;
  }

  /** Answers a member's parked JoinGroup. */
  completeJoin(member: GroupMember, result: JoinGroupResult): boolean {
    if (!member.completeJoin(result)) return false;
    this.numAwaitingJoin--;
    return true;
  }

  /**
   * Static membership: the member behind `groupInstanceId` comes back under a new member
   * id. The old id's parked requests are fenced; everything else carries over.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): GroupMember {
    const old = this.members.get(oldMemberId);
    if (old === undefined) throw new Error(`group ${this.groupId}: no member ${oldMemberId} to replace`);
    this.completeJoin(old, joinError(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.heartbeat?.cancel();
    old.heartbeat = null;
    this.members.delete(oldMemberId);
    const replacement = new GroupMember({
      memberId: newMemberId,
      groupInstanceId: old.groupInstanceId,
      clientId: old.clientId,
      clientHost: old.clientHost,
      protocolType: old.protocolType,
      rebalanceTimeoutMs: old.rebalanceTimeoutMs,
      sessionTimeoutMs: old.sessionTimeoutMs,
      protocols: old.protocols,
    });
    replacement.assignment = old.assignment;
    this.members.set(newMemberId, replacement);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    this.staticMembers.set(groupInstanceId, newMemberId);
    return replacement;
  }

  /**
   * Checks a (member id, group.instance.id) pair: an instance id owned by another member
   * id is FENCED_INSTANCE_ID; an unknown member is UNKNOWN_MEMBER_ID. Returns NONE (0).
   */
  validateMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const owner = this.staticMembers.get(groupInstanceId);
      if (owner === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (owner !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /**
   * Whether a member with this protocol type and these protocol names may join: an Empty
   * group takes any non-empty type and protocol list; otherwise the type must match and
   * one of the protocols must be supported by every current member.
   */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocolNames.length > 0;
    return this.protocolType === protocolType && protocolNames.some((n) => (this.protocolVotes.get(n) ?? 0) === this.members.size);
  }

  /**
   * Kafka's protocol selection: among the protocols every member supports, each member
   * votes for its most preferred one and the most votes win. Ties go to the protocol the
   * leader prefers, so the choice is deterministic.
   */
  selectProtocol(): string | null {
    const candidates = new Set<string>();
    for (const [name, count] of this.protocolVotes) if (count === this.members.size && count > 0) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v !== undefined) votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    const leader = this.leaderId === null ? undefined : this.members.get(this.leaderId);
    const preference = (name: string): number => {
      const i = leader?.protocols.findIndex((p) => p.name === name) ?? -1;
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    let best: string | null = null;
    let bestVotes = 0;
    for (const [name, count] of votes) {
      if (count > bestVotes || (count === bestVotes && best !== null && preference(name) < preference(best))) {
        best = name;
        bestVotes = count;
      }
    }
    return best;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): GroupMember[] {
    return [...this.members.values()].filter((m) => m.awaitingJoin === null);
  }

  /**
   * Keeps the leader if it rejoined, else picks the first member that did. False when
   * nobody rejoined (or the group has no members).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.awaitingJoin != null) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin !== null) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.subscribedTopics = new Set();
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** The member list a JoinGroup leader receives: each member's metadata for the selected protocol. */
  joinMembers(): JoinGroupMember[] {
    return [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(this.protocolName) }));
  }

  /** Whether OffsetDelete must refuse the topic (GROUP_SUBSCRIBED_TO_TOPIC). */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerProtocol();
  }

  private countProtocols(member: GroupMember, delta: 1 | -1): void {
    for (const p of member.protocols) {
      const n = (this.protocolVotes.get(p.name) ?? 0) + delta;
      if (n <= 0) this.protocolVotes.delete(p.name);
      else this.protocolVotes.set(p.name, n);
    }
  }

  /**
   * The union of the members' subscribed topics when the group speaks the consumer
   * protocol; null when unknown (another protocol type, or metadata that does not parse).
   */
  private computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const parsed = parseSubscriptionTopics(m.metadataFor(this.protocolName));
      if (parsed === null) return null;
      for (const t of parsed) topics.add(t);
    }
    return topics;
  }
}

const subscriptionV0 = messageCodec<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSpec, 0);

/**
 * The topics of a consumer protocol subscription (int16 version, then the subscription).
 * Every version starts with the v0 layout, so v0 is parsed whatever the version says.
 */
export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 2) return null;
  try {
    return subscriptionV0.decode(new Reader(metadata, 2)).topics;
  } catch {
    return null;
  }
}
