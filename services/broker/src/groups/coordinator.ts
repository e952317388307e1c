// The classic consumer-group coordinator (JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// DescribeGroups, ListGroups, DeleteGroups and the group checks of OffsetCommit and
// OffsetDelete), following Kafka's GroupMetadataManager for classic groups: the same
// states, error codes, timers (session, rebalance, initial delay, pending sync, new
// member join) and static-membership rules, so clients behave as they do against Kafka.
//
// Pure logic over an injected Clock, no sockets. Membership is in memory only (as in
// Kafka, a coordinator change makes members rejoin). Committed offsets live in the
// controller: the offset handlers read and write them; the coordinator only asks which
// groups exist as offsets alone (they list and describe as Empty), deletes a group's
// offsets with the group, and reports each group's membership changes to the controller,
// which expires offsets from them (membership-report.ts). Not here: the KIP-848 consumer
// protocol (ConsumerGroupHeartbeat), transactions (TxnOffsetCommit).
//
// Bounded: at most `maxGroups` groups (Empty groups are evicted first) and
// `maxGroupSize` members (and as many pending members) per group; beyond that
// JoinGroup answers GROUP_MAX_SIZE_REACHED (not retriable: the Java consumer raises it
// to the application). With config.groupCleanupIntervalMs, an Empty group whose committed
// offsets are gone (expired, deleted, or never committed) is forgotten at the next
// cleanup, as Kafka's GroupMetadataManager does, so groups that come and go leave nothing.

import { randomUUID } from 'node:crypto';
import { ErrorCode } from '@stratus/protocol';
import type { Clock } from '@stratus/runtime';
import type { ControllerApi } from '@stratus/controller';
import type { BrokerConfig } from '../broker-context.ts';
import { ClassicGroup, EMPTY_BYTES, GroupMember, joinError, syncError } from './group.ts';
import type { GroupProtocol, GroupState, JoinGroupResult, SyncGroupResult } from './group.ts';
import { changedMembership } from './membership-report.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';
import { TimerSet } from './timers.ts';
import type { TimerHandle } from './timers.ts';

export type { GroupProtocol, GroupState, JoinGroupMember, JoinGroupResult, SyncGroupResult } from './group.ts';

/** The controller calls the coordinator needs: groups that exist only as committed offsets, and membership for offset expiry. */
export type GroupOffsetStore = Pick<ControllerApi, 'groupsWithOffsets' | 'deleteGroupOffsets' | 'recordGroupMembership'>;

export interface GroupCoordinatorOptions {
  readonly clock: Clock;
  /**
   * group.min/max.session.timeout.ms (JoinGroup outside is INVALID_SESSION_TIMEOUT) and
   * group.initial.rebalance.delay.ms (how long a new group waits for more members);
   * nodeId names this coordinator in membership reports; groupCleanupIntervalMs how often
   * Empty groups without offsets are forgotten (never when unset).
   */
  readonly config: Pick<BrokerConfig, 'nodeId' | 'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs' | 'groupInitialRebalanceDelayMs' | 'groupCleanupIntervalMs'>;
  readonly controller: GroupOffsetStore;
  /** Most groups held in memory (default 10 000); Empty groups are evicted first. */
  readonly maxGroups?: number;
  /** group.max.size: most members (and most pending members) per group (default 1 000). */
  readonly maxGroupSize?: number;
  /** How long a new member may stay parked in its first JoinGroup (Kafka: 5 minutes). */
  readonly newMemberJoinTimeoutMs?: number;
  /** Source of the UUIDs in member ids (tests pass a deterministic one). */
  readonly randomUuid?: () => string;
  /** Rebalances, removed members, refusals at a limit: for logs. */
  readonly onInfo?: (groupId: string, message: string) => void;
  /** An exception thrown by a timer callback (a bug), or a membership report the controller refused. */
  readonly onError?: (error: unknown) => void;
}

export interface JoinGroupParams {
  readonly groupId: string;
  /** '' for a member that has no id yet. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
  /** JoinGroup v4+: an unknown dynamic member is first given an id with MEMBER_ID_REQUIRED. */
  readonly requireKnownMemberId: boolean;
  /** JoinGroup v9+: the answer can carry skipAssignment. */
  readonly supportsSkipAssignment: boolean;
  readonly reason?: string | null;
}

export interface SyncGroupParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** SyncGroup v5+: checked against the group's when not null. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** Only the leader's are used. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Buffer }[];
}

export interface MemberRef {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface HeartbeatParams extends MemberRef {
  readonly groupId: string;
  readonly generationId: number;
}

export interface LeaveGroupResult {
  /** Group-level error (unknown group, closed coordinator); the member list is then empty. */
  readonly errorCode: number;
  readonly members: readonly (MemberRef & { readonly errorCode: number })[];
}

export interface GroupMemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Empty unless the group is Stable. */
  readonly metadata: Buffer;
  readonly assignment: Buffer;
}

export interface GroupDescription {
  readonly errorCode: number;
  readonly groupId: string;
  /** '' with an error. */
  readonly state: GroupState | '';
  readonly protocolType: string;
  /** The selected protocol when Stable, else ''. */
  readonly protocolData: string;
  readonly members: readonly GroupMemberDescription[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: GroupState;
}

export interface OffsetCommitParams extends MemberRef {
  readonly groupId: string;
  /** -1 (and member id '') for a commit from outside group management. */
  readonly generationId: number;
}

const DEFAULT_MAX_GROUPS = 10_000;
const DEFAULT_MAX_GROUP_SIZE = 1_000;
const DEFAULT_NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export class GroupCoordinator {
  private readonly options: GroupCoordinatorOptions;
  private readonly timers: TimerSet;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly maxGroups: number;
  private readonly maxGroupSize: number;
  private readonly newMemberJoinTimeoutMs: number;
  private readonly randomUuid: () => string;
  private closed = false;
  /** The next cleanup of Empty groups (armed while groups are held, when config.groupCleanupIntervalMs is set). */
  private cleanupTimer: TimerHandle | null = null;

  constructor(options: GroupCoordinatorOptions) {
    this.options = options;
    this.maxGroups = options.maxGroups ?? DEFAULT_MAX_GROUPS;
    this.maxGroupSize = options.maxGroupSize ?? DEFAULT_MAX_GROUP_SIZE;
    this.newMemberJoinTimeoutMs = options.newMemberJoinTimeoutMs ?? DEFAULT_NEW_MEMBER_JOIN_TIMEOUT_MS;
    this.randomUuid = options.randomUuid ?? randomUUID;
    this.timers = new TimerSet(options.clock, options.onError ?? (() => {}));
  }

  // ---------------------------------------------------------------- JoinGroup

  /** Resolves when the join phase completes for this member, or at once with an error. */
  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    if (this.closed) return Promise.resolve(joinError(ErrorCode.NOT_COORDINATOR, p.memberId));
    if (p.groupId === '') return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, p.memberId));
    if (p.sessionTimeoutMs < this.options.config.groupMinSessionTimeoutMs || p.sessionTimeoutMs > this.options.config.groupMaxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    }
    const isUnknownMember = p.memberId === '';
    let group = this.groups.get(p.groupId);
    if (group === undefined) {
      // A member id for a group this coordinator does not know: the client resets its id and rejoins.
      if (!isUnknownMember) return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
      if (p.protocolType === '' || p.protocols.length === 0) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
      group = this.createGroup(p.groupId);
      if (group === undefined) return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, p.memberId));
    }
    const g = group;
    if (!this.acceptJoiningMember(g, p.memberId)) {
      this.info(g, `refusing member ${p.memberId || '(new)'}: the group has reached ${this.maxGroupSize} members`);
      if (g.pendingMembers.has(p.memberId)) this.removePendingMember(g, p.memberId);
      const member = g.members.get(p.memberId);
      if (member !== undefined) this.removeMemberAndUpdateGroup(g, member, 'group over capacity');
      return Promise.resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ''));
    }
    return new Promise<JoinGroupResult>((resolve) => {
      if (isUnknownMember) this.joinNewMember(g, p, resolve);
      else this.joinExistingMember(g, p, resolve);
    });
  }

  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        // Counting members awaiting a join answer (not all members) lets the last
        // rejoiners be the ones refused when the limit was lowered.
        return (group.members.get(memberId)?.isAwaitingJoin ?? false) || group.awaitingJoinCount < this.maxGroupSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.members.has(memberId) || group.size < this.maxGroupSize;
    }
  }

  private joinNewMember(group: ClassicGroup, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    if (group.is('Dead')) return resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, ''));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) return resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, ''));
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${this.randomUuid()}`;
    if (p.groupInstanceId !== null) {
      const existing = group.staticMembers.get(p.groupInstanceId);
      if (existing !== undefined) return this.updateStaticMemberThenRebalanceOrCompleteJoin(group, p, existing, newMemberId, resolve);
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, resolve);
    }
    if (p.requireKnownMemberId) {
      if (group.pendingMembers.size >= this.maxGroupSize) {
        this.info(group, `refusing a new member: ${group.pendingMembers.size} member ids already await their first join`);
        return resolve(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, ''));
      }
      // Remembered until the member rejoins with this id or its session timeout passes.
      group.pendingMembers.set(
        newMemberId,
        this.timers.schedule(p.sessionTimeoutMs, () => this.expireHeartbeat(group, newMemberId)),
      );
      return resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
    }
    this.addMemberThenRebalanceOrCompleteJoin(group, p, newMemberId, resolve);
  }

  private joinExistingMember(group: ClassicGroup, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    const memberId = p.memberId;
    if (group.is('Dead')) return resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, memberId));
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) return resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
    if (group.pendingMembers.has(memberId)) {
      // Pending ids are only handed to dynamic members; one arriving with an instance id
      // is refused so the static mapping cannot be corrupted.
      if (p.groupInstanceId !== null) return resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
      return this.addMemberThenRebalanceOrCompleteJoin(group, p, memberId, resolve);
    }
    const error = group.validateMember(memberId, p.groupInstanceId);
    if (error !== ErrorCode.NONE) return resolve(joinError(error, memberId));
    const member = group.members.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, `member ${memberId} joining during PreparingRebalance`);
      case 'CompletingRebalance':
        // Same metadata: it probably lost the join answer; give it the current generation again.
        if (member.matches(p.protocols)) return resolve(this.generationAnswer(group, memberId, group.isLeader(memberId)));
        return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, `member ${memberId} changed its metadata during CompletingRebalance`);
      case 'Stable':
        // The leader rejoining forces a rebalance: that is how it reacts to changes the
        // member metadata does not show (new partitions of a subscribed topic).
        if (group.isLeader(memberId)) return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, `leader ${memberId} rejoined`);
        if (!member.matches(p.protocols)) return this.updateMemberThenRebalanceOrCompleteJoin(group, member, p, resolve, `member ${memberId} changed its metadata`);
        return resolve(this.generationAnswer(group, memberId, false));
      case 'Empty':
      case 'Dead':
        return resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    }
  }

  private generationAnswer(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderId ?? '',
      memberId,
      skipAssignment: false,
      members: withMembers ? group.joinMembers() : [],
    };
  }

  private addMemberThenRebalanceOrCompleteJoin(group: ClassicGroup, p: JoinGroupParams, memberId: string, resolve: (r: JoinGroupResult) => void): void {
    const member = new GroupMember({
      memberId,
      groupInstanceId: p.groupInstanceId,
      clientId: p.clientId,
      clientHost: p.clientHost,
      protocolType: p.protocolType,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs,
      sessionTimeoutMs: p.sessionTimeoutMs,
      protocols: p.protocols,
    });
    member.isNew = true;
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    group.add(member, resolve);
    // A new member cannot heartbeat while parked, and a client that gave up and retried
    // would leave a defunct member behind: new members get a join deadline instead.
    this.rescheduleHeartbeat(group, member, this.newMemberJoinTimeoutMs);
    this.maybePrepareRebalanceOrCompleteJoin(group, `adding member ${memberId}${p.reason ? ` (${p.reason})` : ''}`);
  }

  private updateMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    member: GroupMember,
    p: JoinGroupParams,
    resolve: (r: JoinGroupResult) => void,
    reason: string,
  ): void {
    this.parkJoin(group, member, p, resolve);
    this.maybePrepareRebalanceOrCompleteJoin(group, reason);
  }

  /**
   * Updates a member and parks its JoinGroup. A JoinGroup already parked for it (a client
   * that timed out and retried) is answered REBALANCE_IN_PROGRESS rather than left hanging.
   */
  private parkJoin(group: ClassicGroup, member: GroupMember, p: JoinGroupParams, resolve: (r: JoinGroupResult) => void): void {
    const superseded = member.awaitingJoin;
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, resolve);
    superseded?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
  }

  private updateStaticMemberThenRebalanceOrCompleteJoin(
    group: ClassicGroup,
    p: JoinGroupParams,
    oldMemberId: string,
    newMemberId: string,
    resolve: (r: JoinGroupResult) => void,
  ): void {
    const leaderBefore = group.leaderId ?? '';
    const member = group.replaceStaticMember(p.groupInstanceId!, oldMemberId, newMemberId);
    this.rescheduleHeartbeat(group, member);
    this.parkJoin(group, member, p, resolve);
    this.info(group, `static member ${p.groupInstanceId} rejoined: ${oldMemberId} replaced by ${newMemberId}`);
    switch (group.state) {
      case 'Stable': {
        // As in Kafka, only a change of the selected protocol forces a rebalance. The
        // metadata bytes are not compared: a restarted consumer's subscription differs
        // anyway (owned partitions, generation, Streams' task lags), and comparing them
        // would make every static restart a rebalance.
        if (group.selectProtocol() === group.protocolName) {
          const isLeader = group.isLeader(newMemberId);
          const answer: JoinGroupResult = p.supportsSkipAssignment
            ? { ...this.generationAnswer(group, newMemberId, isLeader), skipAssignment: isLeader }
            : // Before v9 the old leader id is returned, so a rejoining static leader acts as a
              // follower instead of computing an assignment a Stable group would not distribute.
              { ...this.generationAnswer(group, newMemberId, false), leaderId: leaderBefore };
          group.completeJoin(member, answer);
          return;
        }
        return this.maybePrepareRebalanceOrCompleteJoin(group, `static member ${p.groupInstanceId} rejoined with other protocols`);
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: start over.
        return this.prepareRebalance(group, `static member ${p.groupInstanceId} rejoined during CompletingRebalance`);
      case 'PreparingRebalance':
        return this.maybeCompleteJoinPhase(group);
      case 'Empty':
      case 'Dead':
        // A static member is only known to a group that has members.
        throw new Error(`group ${group.groupId}: static member replaced in state ${group.state}`);
    }
  }

  // ---------------------------------------------------------------- rebalancing

  private maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  private prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for their assignment must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignment(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const isInitialRebalance = group.is('Empty');
    if (isInitialRebalance) {
      const delayMs = this.options.config.groupInitialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.setJoinTimer(group, delayMs, () => this.tryCompleteInitialRebalance(group, delayMs, remainingMs));
    }
    group.transitionTo('PreparingRebalance');
    this.info(group, `preparing to rebalance (generation ${group.generationId}): ${reason}`);
    if (!isInitialRebalance) this.maybeCompleteJoinElseSchedule(group);
  }

  private maybeCompleteJoinElseSchedule(group: ClassicGroup): void {
    if (group.hasAllMembersJoined()) this.completeJoin(group);
    else this.setJoinTimer(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
  }

  /** The initial delay is extended while new members keep arriving, up to the rebalance timeout. */
  private tryCompleteInitialRebalance(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    if (!this.isLive(group)) return;
    if (group.newMemberAdded && remainingMs !== 0) {
      group.newMemberAdded = false;
      const nextDelayMs = Math.min(this.options.config.groupInitialRebalanceDelayMs, remainingMs);
      const nextRemainingMs = Math.max(remainingMs - delayMs, 0);
      this.setJoinTimer(group, nextDelayMs, () => this.tryCompleteInitialRebalance(group, nextDelayMs, nextRemainingMs));
    } else {
      this.completeJoin(group);
    }
  }

  /** Completes the join phase early when everyone is in, except during the initial delay. */
  private maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (!group.is('PreparingRebalance') || group.previousState === 'Empty' || !group.hasAllMembersJoined()) return;
    this.completeJoin(group);
  }

  /**
   * Ends the join phase: dynamic members that did not rejoin are removed (static ones
   * stay until their session expires), a leader is kept or elected among those that
   * rejoined, the generation advances and every parked JoinGroup is answered.
   */
  private completeJoin(group: ClassicGroup): void {
    if (!this.isLive(group)) return;
    group.joinTimer?.cancel();
    group.joinTimer = null;
    const dropped = group.notYetRejoinedMembers().filter((m) => m.groupInstanceId === null);
    for (const m of dropped) this.dropMember(group, m);
    if (dropped.length > 0) this.info(group, `removed members that did not rejoin in time: ${dropped.map((m) => m.memberId).join(', ')}`);
    if (group.is('Dead')) return;
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members remain and none rejoined: wait for them or their session expiry.
      this.setJoinTimer(group, group.rebalanceTimeoutMs(), () => this.completeJoin(group));
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.info(group, `generation ${group.generationId} is empty`);
      return;
    }
    this.info(group, `generation ${group.generationId} with ${group.size} members, protocol ${group.protocolName}, leader ${group.leaderId}`);
    for (const member of [...group.members.values()]) {
      group.completeJoin(member, this.generationAnswer(group, member.memberId, group.isLeader(member.memberId)));
      this.rescheduleHeartbeat(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    const generation = group.generationId;
    group.syncTimer?.cancel();
    group.syncTimer = this.timers.schedule(group.rebalanceTimeoutMs(), () => this.expirePendingSync(group, generation));
  }

  /** Members that got their join answer but never sent SyncGroup (a leader that died) are removed. */
  private expirePendingSync(group: ClassicGroup, generationId: number): void {
    group.syncTimer = null;
    if (!this.isLive(group) || generationId !== group.generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    if (group.pendingSyncMembers.size === 0) return;
    const missing = [...group.pendingSyncMembers];
    for (const id of missing) {
      const m = group.members.get(id);
      if (m !== undefined) this.dropMember(group, m);
    }
    this.prepareRebalance(group, `members did not send SyncGroup in time: ${missing.join(', ')}`);
  }

  private removeSyncExpiration(group: ClassicGroup): void {
    group.pendingSyncMembers.clear();
    group.syncTimer?.cancel();
    group.syncTimer = null;
  }

  private removePendingSyncMember(group: ClassicGroup, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    const waiting = group.is('CompletingRebalance') || group.is('Stable');
    if (!waiting || group.pendingSyncMembers.size === 0) {
      group.syncTimer?.cancel();
      group.syncTimer = null;
    }
  }

  private resetAndPropagateAssignment(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const member of group.members.values()) {
      const answered = member.completeSync({
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
      });
      // Sessions restart once the answer is out: a deadline that passed while the member
      // was parked in SyncGroup was ignored, and nothing else would schedule the next one.
      if (answered) this.rescheduleHeartbeat(group, member);
    }
  }

  private setJoinTimer(group: ClassicGroup, delayMs: number, fire: () => void): void {
    group.joinTimer?.cancel();
    group.joinTimer = this.timers.schedule(delayMs, fire);
  }

  // ---------------------------------------------------------------- sessions and removal

  private rescheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    member.heartbeat?.cancel();
    member.heartbeat = this.timers.schedule(timeoutMs, () => {
      member.heartbeat = null;
      this.expireHeartbeat(group, member.memberId);
    });
  }

  private expireHeartbeat(group: ClassicGroup, memberId: string): void {
    if (!this.isLive(group) || group.is('Dead')) return;
    if (group.pendingMembers.has(memberId)) {
      this.removePendingMember(group, memberId);
      return;
    }
    const member = group.members.get(memberId);
    if (member === undefined || member.hasSatisfiedHeartbeat()) return;
    this.info(group, `member ${memberId} failed (session or join timeout), removing it`);
    this.removeMemberAndUpdateGroup(group, member, `member ${memberId} expired`);
  }

  private removePendingMember(group: ClassicGroup, memberId: string): void {
    group.remove(memberId);
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.dropMember(group, member);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, reason);
    else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  /** Removes a member, answering its parked requests with UNKNOWN_MEMBER_ID (the client rejoins). */
  private dropMember(group: ClassicGroup, member: GroupMember): void {
    group.completeJoin(member, joinError(ErrorCode.UNKNOWN_MEMBER_ID, ''));
    member.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
  }

  // ---------------------------------------------------------------- SyncGroup, Heartbeat, LeaveGroup

  /** Followers' answers wait for the leader's assignment; the leader's completes the generation. */
  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    if (this.closed) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    if (p.groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.groups.get(p.groupId);
    if (group === undefined || group.is('Empty')) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const error = group.validateMember(p.memberId, p.groupInstanceId);
    if (error !== ErrorCode.NONE) return Promise.resolve(syncError(error));
    if (p.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.removePendingSyncMember(group, p.memberId);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'CompletingRebalance':
        return new Promise<SyncGroupResult>((resolve) => {
          const superseded = member.awaitingSync;
          member.awaitingSync = resolve;
          superseded?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          this.removePendingSyncMember(group, p.memberId);
          if (!group.isLeader(p.memberId)) return;
          const assignments = new Map(p.assignments.map((a) => [a.memberId, a.assignment]));
          for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
          this.propagateAssignment(group, ErrorCode.NONE);
          group.transitionTo('Stable');
          this.info(group, `generation ${group.generationId} is stable`);
        });
      default:
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** NONE, or REBALANCE_IN_PROGRESS to make the member rejoin, or why it is not a member. */
  heartbeat(p: HeartbeatParams): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (p.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(p.groupId);
    if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const error = group.validateMember(p.memberId, p.groupInstanceId);
    if (error !== ErrorCode.NONE) return error;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        // Clients may heartbeat between their join answer and SyncGroup: a normal heartbeat.
        this.rescheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      default:
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  /**
   * Removes members: by member id, or by group.instance.id alone (member id '') as the
   * admin client does for static members.
   */
  leaveGroup(groupId: string, members: readonly MemberRef[]): LeaveGroupResult {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const results: (MemberRef & { errorCode: number })[] = [];
    let removed = 0;
    for (const ref of members) {
      let errorCode: number = ErrorCode.NONE;
      if (ref.memberId === '') {
        const staticId = ref.groupInstanceId === null ? undefined : group.staticMembers.get(ref.groupInstanceId);
        if (staticId === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else this.dropMember(group, group.members.get(staticId)!);
      } else if (group.pendingMembers.has(ref.memberId)) {
        group.remove(ref.memberId);
      } else {
        errorCode = group.validateMember(ref.memberId, ref.groupInstanceId);
        if (errorCode === ErrorCode.NONE) this.dropMember(group, group.members.get(ref.memberId)!);
      }
      if (errorCode === ErrorCode.NONE) removed++;
      results.push({ memberId: ref.memberId, groupInstanceId: ref.groupInstanceId, errorCode });
    }
    if (removed > 0) {
      this.info(group, `${removed} member(s) left`);
      if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalanceOrCompleteJoin(group, 'members left the group');
      else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---------------------------------------------------------------- admin and offsets

  /**
   * DescribeGroups: held groups as Kafka describes them (member metadata only when
   * Stable); a group known only by committed offsets is Empty with no protocol type;
   * any other is Dead (versions before 6 have no GROUP_ID_NOT_FOUND).
   */
  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    const offsetGroups = new OffsetGroups(this.options.controller);
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const group = this.groups.get(groupId);
      if (this.closed) {
        out.push(blankDescription(groupId, '', ErrorCode.NOT_COORDINATOR));
      } else if (group !== undefined) {
        out.push(describe(group));
      } else {
        const has = await offsetGroups.has(groupId);
        out.push(has === undefined ? blankDescription(groupId, '', offsetGroups.failureCode) : blankDescription(groupId, has ? 'Empty' : 'Dead', ErrorCode.NONE));
      }
    }
    return out;
  }

  /**
   * ListGroups: held groups and groups known only by committed offsets (Empty, no
   * protocol type), the latter only where `include` says this coordinator owns them.
   * When the controller fails, the held groups come with COORDINATOR_NOT_AVAILABLE.
   */
  async listGroups(include: (groupId: string) => boolean = () => true): Promise<{ errorCode: number; groups: GroupListing[] }> {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
    const groups: GroupListing[] = [...this.groups.values()]
      .filter((g) => !g.is('Dead'))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state }));
    let errorCode: number = ErrorCode.NONE;
    try {
      for (const groupId of await this.options.controller.groupsWithOffsets()) {
        if (!this.groups.has(groupId) && include(groupId)) groups.push({ groupId, protocolType: '', state: 'Empty' });
      }
    } catch (e) {
      errorCode = groupErrorOf(e);
    }
    return { errorCode, groups };
  }

  /**
   * DeleteGroups: a group with members is NON_EMPTY_GROUP; an Empty group is forgotten
   * and its committed offsets deleted; a group known only by offsets loses them; any
   * other is GROUP_ID_NOT_FOUND.
   */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const offsetGroups = new OffsetGroups(this.options.controller);
    const out: { groupId: string; errorCode: number }[] = [];
    for (const groupId of groupIds) out.push({ groupId, errorCode: await this.deleteGroup(groupId, offsetGroups) });
    return out;
  }

  private async deleteGroup(groupId: string, offsetGroups: OffsetGroups): Promise<number> {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const group = this.groups.get(groupId);
    if (group === undefined) {
      const has = await offsetGroups.has(groupId);
      if (has === undefined) return offsetGroups.failureCode;
      if (!has) return ErrorCode.GROUP_ID_NOT_FOUND;
    } else if (group.is('Dead')) {
      return ErrorCode.GROUP_ID_NOT_FOUND;
    } else if (!group.is('Empty')) {
      return ErrorCode.NON_EMPTY_GROUP;
    } else {
      // Forgotten before the offsets go, so no member can join the doomed group meanwhile.
      this.removeGroup(group);
    }
    try {
      await this.options.controller.deleteGroupOffsets(groupId);
      return ErrorCode.NONE;
    } catch (e) {
      return groupErrorOf(e);
    }
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  /** The state of a held group (tests, diagnostics). */
  groupState(groupId: string): GroupState | undefined {
    return this.groups.get(groupId)?.state;
  }

  /**
   * Whether an OffsetCommit may write: members commit for their current generation
   * (also while a rebalance is being prepared, so eager consumers can commit before
   * rejoining); generation -1 with no member id is a commit from outside group
   * management, allowed when the group is Empty or unknown here.
   */
  validateOffsetCommit(p: OffsetCommitParams): number {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    const group = this.groups.get(p.groupId);
    if (group === undefined) return p.generationId < 0 ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (p.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const error = group.validateMember(p.memberId, p.groupInstanceId);
      if (error !== ErrorCode.NONE) return error;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!group.is('Empty')) {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // A valid member of a generation whose assignment is not out yet.
    if (group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * OffsetDelete's group check. NONE with a subscription test, or why the group refuses:
   * GROUP_ID_NOT_FOUND (neither held nor with offsets), NON_EMPTY_GROUP (a live group
   * that does not speak the consumer protocol). Topics the members subscribe to are
   * then refused per partition (GROUP_SUBSCRIBED_TO_TOPIC).
   */
  async offsetDeleteCheck(groupId: string): Promise<{ errorCode: number; isSubscribed: (topic: string) => boolean }> {
    const refuse = (errorCode: number) => ({ errorCode, isSubscribed: () => false });
    if (this.closed) return refuse(ErrorCode.NOT_COORDINATOR);
    if (groupId === '') return refuse(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(groupId);
    if (group === undefined) {
      const offsetGroups = new OffsetGroups(this.options.controller);
      const has = await offsetGroups.has(groupId);
      if (has === undefined) return refuse(offsetGroups.failureCode);
      return has ? { errorCode: ErrorCode.NONE, isSubscribed: () => false } : refuse(ErrorCode.GROUP_ID_NOT_FOUND);
    }
    switch (group.state) {
      case 'Dead':
        return refuse(ErrorCode.GROUP_ID_NOT_FOUND);
      case 'Empty':
        return { errorCode: ErrorCode.NONE, isSubscribed: () => false };
      default:
        if (!group.usesConsumerProtocol()) return refuse(ErrorCode.NON_EMPTY_GROUP);
        return { errorCode: ErrorCode.NONE, isSubscribed: (topic) => group.isSubscribedToTopic(topic) };
    }
  }

  /** Answers every parked request with NOT_COORDINATOR, cancels all timers, forgets all groups. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const group of [...this.groups.values()]) this.removeGroup(group, ErrorCode.NOT_COORDINATOR);
    this.timers.cancelAll();
    this.cleanupTimer = null;
  }

  /**
   * Forgets the Empty groups (no members, none pending) that have no committed offsets in
   * the controller — their offsets expired or were deleted, or none was ever committed —
   * as Kafka's cleanupGroupMetadata turns them Dead. A group that changed while the
   * controller answered (a member joined, it was recreated) is left alone; one that gets
   * offsets just after is still listed and described through them. Returns how many went.
   */
  async removeEmptyGroups(): Promise<number> {
    const candidates = [...this.groups.values()].filter((g) => g.is('Empty') && g.pendingMembers.size === 0);
    if (candidates.length === 0) return 0;
    let withOffsets: Set<string>;
    try {
      withOffsets = new Set(await this.options.controller.groupsWithOffsets());
    } catch (e) {
      this.options.onError?.(e);
      return 0;
    }
    let removed = 0;
    for (const group of candidates) {
      if (!this.isLive(group) || !group.is('Empty') || group.pendingMembers.size > 0 || withOffsets.has(group.groupId)) continue;
      this.info(group, 'removed: empty, with no committed offsets left');
      this.removeGroup(group);
      removed++;
    }
    return removed;
  }

  /** Arms the next cleanup (config.groupCleanupIntervalMs) unless one is armed, none is configured or no group is held. */
  private armCleanup(): void {
    const interval = this.options.config.groupCleanupIntervalMs;
    if (interval === undefined || this.cleanupTimer !== null || this.closed || this.groups.size === 0) return;
    this.cleanupTimer = this.timers.schedule(interval, () => {
      this.cleanupTimer = null;
      void this.removeEmptyGroups().finally(() => this.armCleanup());
    });
  }

  /** Live timers (tests check that nothing leaks). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  /** The ids of the groups held, oldest first (the consumer-lag metric reads them at scrape time). */
  groupIds(): IterableIterator<string> {
    return this.groups.keys();
  }

  // ---------------------------------------------------------------- group lifecycle

  private createGroup(groupId: string): ClassicGroup | undefined {
    if (this.groups.size >= this.maxGroups && !this.evictEmptyGroup()) {
      this.options.onInfo?.(groupId, `refusing a new group: ${this.maxGroups} groups are held and none is empty`);
      return undefined;
    }
    const group = new ClassicGroup(groupId, (g) => this.reportMembership(g));
    this.groups.set(groupId, group);
    this.armCleanup();
    return group;
  }

  /** Frees a slot: the oldest Empty group, preferring one without pending members. */
  private evictEmptyGroup(): boolean {
    let candidate: ClassicGroup | undefined;
    for (const g of this.groups.values()) {
      if (!g.is('Empty')) continue;
      if (g.pendingMembers.size === 0) {
        candidate = g;
        break;
      }
      candidate ??= g;
    }
    if (candidate === undefined) return false;
    this.info(candidate, 'evicted: the coordinator holds its maximum number of groups');
    this.removeGroup(candidate);
    return true;
  }

  private removeGroup(group: ClassicGroup, errorCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE): void {
    group.joinTimer?.cancel();
    group.syncTimer?.cancel();
    group.joinTimer = group.syncTimer = null;
    for (const t of group.pendingMembers.values()) t.cancel();
    group.pendingMembers.clear();
    for (const m of group.members.values()) {
      group.completeJoin(m, joinError(errorCode, m.memberId));
      m.completeSync(syncError(errorCode));
      m.heartbeat?.cancel();
      m.heartbeat = null;
    }
    group.transitionTo('Dead');
    this.groups.delete(group.groupId);
  }

  /**
   * Tells the controller what changed about the group's members (offset expiry counts
   * from it). Sent in transition order, which is the order the controller decides them
   * in; not awaited: a lost report only lets offsets be judged by their commit time.
   */
  private reportMembership(group: ClassicGroup): void {
    if (this.closed) return;
    const report = changedMembership(group, this.options.config.nodeId);
    if (report === undefined) return;
    let sent: Promise<void>;
    try {
      sent = this.options.controller.recordGroupMembership(group.groupId, report);
    } catch (e) {
      sent = Promise.reject(e);
    }
    sent.catch((e: unknown) => (this.options.onError ?? (() => {}))(e));
  }

  /** Timer callbacks may outlive their group (deleted, evicted, recreated under the same id). */
  private isLive(group: ClassicGroup): boolean {
    return !this.closed && this.groups.get(group.groupId) === group;
  }

  private info(group: ClassicGroup, message: string): void {
    this.options.onInfo?.(group.groupId, message);
  }
}

function describe(group: ClassicGroup): GroupDescription {
  const stable = group.is('Stable');
  return {
    errorCode: ErrorCode.NONE,
    groupId: group.groupId,
    state: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? (group.protocolName ?? '') : '',
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BYTES,
      assignment: m.assignment,
    })),
  };
}

function blankDescription(groupId: string, state: GroupState | '', errorCode: number): GroupDescription {
  return { errorCode, groupId, state, protocolType: '', protocolData: '', members: [] };
}

/**
 * The group error code for a failed controller call (COORDINATOR_NOT_AVAILABLE when the
 * controller is unavailable, see controller-failure.ts); anything but a controller
 * failure is a bug and is thrown on.
 */
function groupErrorOf(e: unknown): number {
  const failed = controllerFailureAnswer(e, 'group');
  if (failed === undefined) throw e;
  return failed.errorCode;
}

/** The controller's list of groups with offsets, fetched at most once per request. */
class OffsetGroups {
  private readonly store: GroupOffsetStore;
  private names: Promise<Set<string>> | undefined;
  /** The error code to answer once has() returned undefined. */
  failureCode: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;

  constructor(store: GroupOffsetStore) {
    this.store = store;
  }

  /** Undefined when the controller failed (failureCode says how to answer). */
  async has(groupId: string): Promise<boolean | undefined> {
    this.names ??= this.store.groupsWithOffsets().then((list) => new Set(list));
    try {
      return (await this.names).has(groupId);
    } catch (e) {
      this.failureCode = groupErrorOf(e);
      return undefined;
    }
  }
}
