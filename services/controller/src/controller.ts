// The controller: ControllerApi over an event-sourced state. Every change is decided by
// a synchronous function of the ops/ directory, which emits metadata records; the
// records are appended to the metadata store and the caller is answered once they are
// durable.
//
// Two copies of the state, because decisions and answers need different views:
// - `decided`: every record emitted so far, durable or not. Decisions are made on it,
//   so the next decision sees the previous one without waiting for its fsync, and the
//   store's group commit can batch many callers' records into one write.
// - `durable`: only records the store has confirmed. Every read (metadata, extents,
//   offsets, configs) and every watch notification comes from it, so nothing a caller
//   sees can be lost in a crash — a broker never learns a leader epoch the controller
//   could forget.
// Both are built by the same applyRecord, in the same order. If the store fails, the
// decided state is ahead of what is durable and can no longer be trusted: the controller
// refuses everything from then on (ControllerFailedError) and the process restarts.
//
// This file holds the sequencing, reads, watch, retention loop and lifecycle; the rules
// of each operation live in ops/.

import type { ExtentCommitter, ExtentSource } from '@stratus/partition-index';
import { listProducerBatches } from '@stratus/partition-index';
import type { CommitResult, Extent, ObjectCommit, ProducerBatchRecord, TopicPartition } from '@stratus/partition-index';
import type {
  AlterConfigOp,
  BrokerInfo,
  BrokerRegistration,
  ClusterDescription,
  ClusterMetadata,
  CommittedOffset,
  ConfigResourceType,
  ControllerApi,
  CreateTopicRequest,
  CreateTopicResult,
  DescribeConfigsResult,
  GroupMembershipReport,
  HeartbeatResult,
  DrainReason,
  DrainResult,
  ItemResult,
  OffsetCommitItem,
  ProducerIdBlock,
  WatcherIdentity,
} from './controller-api.ts';
import { ControllerClosedError, ControllerFailedError } from './errors.ts';
import { ObjectMaintenance } from './background/object-maintenance.ts';
import type { ObjectMaintenanceStats } from './background/object-maintenance.ts';
import type { CompactionRunSummary } from './background/compaction-runner.ts';
import type { OrphanSweepSummary } from './background/orphan-sweep.ts';
import { describeConfigs, decideAlterConfigs, decideIncrementalAlterConfigs } from './ops/configs.ts';
import { decideCreateAcls, decideDeleteAcls, describeAcls } from './ops/acls.ts';
import type { AclBinding, AclFilter } from './acls/acl-model.ts';
import { decideAlterClientQuotas } from './quotas/quota-ops.ts';
import type { QuotaAlteration, QuotaEntityPart } from './quotas/quota-model.ts';
import { decideAlterScramCredentials, describeScramCredentials, lookupScramCredential } from './ops/scram.ts';
import type { ScramAlterResult, ScramCredentialRecord, ScramDeletion, ScramDescribeResult, ScramUpsertion } from './scram/scram-model.ts';
import { decideCoordinatorReset, decideGroupMembership, groupOverviews } from './ops/group-membership.ts';
import type { GroupOverview } from './ops/group-membership.ts';
import { ClusterTimers } from './cluster/cluster-timers.ts';
import { newClusterCounters } from './cluster/cluster-context.ts';
import type { ClusterCounters, ClusterDecideContext, SuspicionChange } from './cluster/cluster-context.ts';
import { decideCancelStuckMoves, decideFence, decideFenceLapsed, decideMoveTimeouts, decideRebalance, suspectedBrokers } from './ops/cluster-moves.ts';
import { decideDrainBroker, decideReassignPartitions, decideReleasePartition, describeCluster } from './ops/cluster-requests.ts';
import { decideRegisterBroker, decideUnregisterBroker } from './ops/leadership.ts';
import { clusterMetadata } from './ops/metadata-view.ts';
import { decideOffsetExpiry } from './ops/offset-expiry.ts';
import { decideCommitOffsets, decideDeleteGroupOffsets, decideDeleteOffsets, fetchOffsets } from './ops/offsets.ts';
import { decideCommit, decideDeleteRecords } from './ops/partition-index.ts';
import { decideAllocateProducerIds } from './ops/producer-ids.ts';
import { decideRetention, decideScheduleDeletion, objectsDueForDeletion } from './ops/retention.ts';
import { decideCreatePartitions, decideCreateTopics, decideDeleteTopics } from './ops/topics.ts';
import { Tx, chunks } from './ops/tx.ts';
import type { DecideContext } from './ops/tx.ts';
import { resolveControllerOptions } from './options.ts';
import type { ControllerOptions, ResolvedControllerOptions } from './options.ts';
import { StateError, applyRecord } from './state/apply.ts';
import type { MetadataRecord } from './state/records.ts';
import { SnapshotFailedError, SnapshotSchedule } from './snapshot-schedule.ts';
import type { SnapshotStats } from './snapshot-schedule.ts';
import { stateFromSections } from './state/snapshot-builder.ts';
import { captureState } from './state/snapshot-capture.ts';
import { toSnapshotData } from './state/snapshot-data.ts';
import type { SnapshotData } from './state/snapshot-data.ts';
import { cloneState, emptyState, firstExtentAtOrAfter, partitionOf } from './state/state.ts';
import type { ControllerState } from './state/state.ts';
import { randomUuid } from './topics/ids.ts';

export interface RetentionSummary {
  /** Partitions whose log start moved because extents expired. */
  readonly logStartsAdvanced: number;
  /** Objects newly scheduled for deletion (no extent points at them any more). */
  readonly objectsScheduled: number;
  /** Objects deleted from the object store in this run. */
  readonly objectsDeleted: number;
  /** Committed offsets expired (offsetsRetentionMs) in this run. */
  readonly offsetsExpired: number;
}

export interface ControllerStats extends SnapshotStats {
  readonly metadataVersion: number;
  readonly topics: number;
  readonly partitions: number;
  /** Objects some extent points at. */
  readonly liveObjects: number;
  /** Objects no extent points at: scheduled for deletion or about to be. */
  readonly unreferencedObjects: number;
  /** Bytes of every object the index knows (live and unreferenced): what the object store holds and bills, orphans aside. */
  readonly objectBytes: number;
  readonly committedOffsets: number;
  /** Groups the controller knows: with committed offsets, or with members reported by a coordinator. */
  readonly groups: number;
  /** Sequence number of the last durable batch. */
  readonly durableSeq: number;
  readonly journalBytes: number;
}

const noop = (): void => undefined;

export interface ClusterCheckSummary {
  /** Brokers fenced because their lease lapsed. */
  readonly brokersFenced: number;
  /** Moves cancelled (leader gone, target gone) or ended by timeout. */
  readonly movesEnded: number;
  readonly movesStarted: number;
  /** Partitions given a leader at once (no live leader: leaderless, `object`, unclean failover). */
  readonly leadersChanged: number;
  /** Moves wanted but waiting for capacity or a retry delay. */
  readonly movesDeferred: number;
}

export interface ClusterStats extends ClusterCounters {
  readonly brokers: number;
  readonly brokersFencedNow: number;
  readonly brokersSuspectedNow: number;
  readonly brokersDraining: number;
  readonly movesUnderWay: number;
}

function validInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be an integer, got ${String(value)}`);
}

function validPartition(tp: TopicPartition): void {
  if (typeof tp?.topicId !== 'string') throw new RangeError('topicId must be a string');
  validInt('partition', tp.partition);
}

/** Groups with committed offsets or reported membership (most are in both maps). */
function countGroups(s: ControllerState): number {
  let n = s.offsets.size;
  for (const group of s.groups.keys()) if (!s.offsets.has(group)) n++;
  return n;
}

export class Controller implements ControllerApi, ExtentCommitter, ExtentSource {
  /** What loading found worth telling an operator (journal tail cut after a crash, ...). */
  readonly recoveryNotes: readonly string[];
  private readonly o: ResolvedControllerOptions;
  private readonly ctx: DecideContext;
  private readonly decided: ControllerState;
  private readonly durable: ControllerState;
  private durableSeq: number;
  /** Settles once every batch handed to the store so far is durable and applied; rejects after a store failure. */
  private tail: Promise<void> = Promise.resolve();
  private failure: ControllerFailedError | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly listeners = new Set<(metadata: ClusterMetadata) => void>();
  private cachedMetadata: ClusterMetadata | undefined;
  private snapshotting: Promise<void> | undefined;
  private readonly snapshots: SnapshotSchedule;
  private retentionChain: Promise<unknown> = Promise.resolve();
  private timer: AbortController | undefined;
  private timerLoop: Promise<void> | undefined;
  /** Object compaction and the orphan sweep (background/). */
  private readonly maintenance: ObjectMaintenance;
  /** Leases and move clocks, in memory only: they start afresh whenever a controller becomes active. */
  private readonly timers: ClusterTimers;
  private readonly counters: ClusterCounters = newClusterCounters();
  /** Something may have moved the desired assignment (join, fence, drain, a move ended, a start): the next check rebalances. */
  private rebalancePending = true;
  private clusterChain: Promise<unknown> = Promise.resolve();
  private clusterLoop: Promise<void> | undefined;
  /** The brokers the last cluster check suspected (cluster-timers.ts): decisions use this set until the next check. */
  private suspects: ReadonlySet<number> = new Set();

  private constructor(o: ResolvedControllerOptions, state: ControllerState, seq: number, notes: readonly string[]) {
    this.o = o;
    this.ctx = { clock: o.clock, random: o.random, options: o };
    this.durable = state;
    this.decided = cloneState(state);
    this.durableSeq = seq;
    this.recoveryNotes = notes;
    this.maintenance = new ObjectMaintenance({
      objectStore: o.objectStore,
      clock: o.clock,
      keyPrefix: o.objectKeyPrefix,
      compaction: o.compaction,
      orphanSweep: o.orphanSweep,
      sweepIntervalMs: o.retentionCheckIntervalMs,
      broker: o.broker,
      ctx: this.ctx,
      durable: () => this.durable,
      decided: () => this.decided,
      decide: (decision) => this.mutate(decision),
      onProblem: (error, context) => this.o.onBackgroundError(error, context),
    });
    this.snapshots = new SnapshotSchedule({ clock: o.clock, journalBytes: o.snapshotJournalBytes, retryDelayMs: o.snapshotRetryDelayMs, retryMaxDelayMs: o.snapshotRetryMaxDelayMs });
    this.timers = new ClusterTimers(o.clock, o.cluster);
  }

  private cluster(): ClusterDecideContext {
    return { cluster: this.o.cluster, timers: this.timers, suspects: this.suspects, nowMs: this.o.clock.nowMs(), counters: this.counters, onUncleanFailover: this.o.onUncleanFailover };
  }

  /**
   * Loads the state from `options.store` (snapshot, then the journal after it) and
   * returns a controller ready for calls. A fresh store gets a cluster id. Call start()
   * to run retention on a timer; close() when done (it closes the store).
   */
  static async open(options: ControllerOptions): Promise<Controller> {
    const o = resolveControllerOptions(options);
    let controller: Controller;
    try {
      const loaded = await o.store.load();
      const state = loaded.snapshot === null ? emptyState() : await stateFromSections(loaded.snapshot.sections);
      let seq = loaded.snapshot?.upToSeq ?? -1;
      for await (const batch of loaded.batches) {
        for (const r of batch.records) applyRecord(state, r);
        seq = batch.seq;
      }
      controller = new Controller(o, state, seq, loaded.notes);
    } catch (err) {
      await o.store.close().catch(noop);
      throw err;
    }
    if (controller.durable.clusterId === null) {
      await controller.mutate((tx) => tx.emit({ type: 'ClusterCreated', clusterId: randomUuid(o.random) }));
    }
    return controller;
  }

  // --- sequencing --------------------------------------------------------------------

  /**
   * Runs `decide` on the decided state, persists what it emitted, and resolves with its
   * result once durable. A decision that emits nothing still waits for the batches
   * before it, so its answer never gets ahead of what is durable.
   */
  private mutate<T>(decide: (tx: Tx) => T): Promise<T> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    const tx = new Tx(this.decided);
    let result: T;
    try {
      result = decide(tx);
    } catch (err) {
      // Validation errors throw before any emit. A StateError means the decided state
      // was partly changed: it cannot be trusted any more.
      if (err instanceof StateError) this.fail(err);
      else if (tx.records.length > 0) this.persist(tx.records).catch(noop);
      return Promise.reject(err);
    }
    if (tx.records.length === 0) return this.tail.then(() => result);
    return this.persist(tx.records).then(() => result);
  }

  private persist(records: readonly MetadataRecord[]): Promise<void> {
    let appended: Promise<number>;
    try {
      appended = this.o.store.append(records);
    } catch (err) {
      appended = Promise.reject(err);
    }
    // Handled here; the chain below reports it once the batches before it are done.
    appended.catch(noop);
    const done = this.tail.then(() => appended).then((seq) => this.applyDurable(records, seq));
    done.catch((err: unknown) => this.fail(err));
    this.tail = done;
    return done;
  }

  private applyDurable(records: readonly MetadataRecord[], seq: number): void {
    const version = this.durable.metadataVersion;
    for (const r of records) applyRecord(this.durable, r);
    this.durableSeq = seq;
    if (this.durable.metadataVersion !== version) {
      this.cachedMetadata = undefined;
      this.notify();
    }
    this.maybeSnapshot();
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = err instanceof ControllerFailedError ? err : new ControllerFailedError(err);
    this.timer?.abort();
    if (this.o.onFatal) this.o.onFatal(this.failure);
    else this.o.onBackgroundError(this.failure, 'metadata store');
  }

  private refusal(): Error | undefined {
    if (this.closed) return new ControllerClosedError();
    return this.failure;
  }

  private read<T>(fn: () => T): Promise<T> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // --- snapshots ---------------------------------------------------------------------

  private maybeSnapshot(): void {
    if (this.snapshotting !== undefined || this.closed || this.failure !== undefined) return;
    // Due by journal size, and not while backing off after a failure (snapshot-schedule.ts).
    if (!this.snapshots.due(this.o.store.stats().journalBytes)) return;
    this.snapshotting = this.snapshotNow()
      .catch((err: unknown) => this.o.onBackgroundError(err, 'snapshot'))
      .finally(() => (this.snapshotting = undefined));
  }

  /**
   * Snapshots the durable state now (also done automatically by journal size and on
   * close). Rejects with SnapshotFailedError (the store's error as its cause), counted in
   * stats(); the journal is then kept whole.
   */
  async snapshotNow(): Promise<void> {
    const upToSeq = this.durableSeq;
    try {
      // captureState copies synchronously, so it holds exactly the batches up to
      // durableSeq; the store encodes it at its own pace while this state moves on.
      await this.o.store.snapshot(captureState(this.durable), upToSeq);
    } catch (err) {
      const retryInMs = this.snapshots.failed(err);
      throw new SnapshotFailedError(upToSeq, err, this.closed ? 'the next open replays the journal' : `next automatic attempt in ${retryInMs} ms at the earliest`);
    }
    this.snapshots.succeeded();
  }

  // --- brokers and metadata ------------------------------------------------------------

  /**
   * A registering broker has just started (its group coordinator holds no members yet) or
   * comes back after being fenced. It gets a new broker epoch and a full lease, and keeps
   * the partitions it still leads with their epochs.
   */
  registerBroker(broker: BrokerInfo): Promise<BrokerRegistration> {
    return this.mutate((tx): BrokerRegistration => {
      const brokerEpoch = decideRegisterBroker(tx, this.ctx, this.cluster(), broker);
      decideCoordinatorReset(tx, this.ctx, broker.nodeId);
      this.rebalancePending = true;
      return { brokerEpoch, leaseExpiresAtMs: this.timers.leaseExpiresAtMs(broker.nodeId) };
    });
  }

  /**
   * Renews the lease of the broker's current registration. Answers `fenced` for an old
   * broker epoch, an unknown or fenced broker, and a lease that lapsed before this
   * heartbeat arrived (the broker is fenced then and there: it has stopped serving by its
   * own clock already, and this makes the controller's view agree).
   */
  heartbeat(nodeId: number, brokerEpoch: number): Promise<HeartbeatResult> {
    return this.mutate((tx): HeartbeatResult => {
      validInt('heartbeat: nodeId', nodeId);
      validInt('heartbeat: brokerEpoch', brokerEpoch);
      const status = tx.state.brokerStatus.get(nodeId);
      const fenced = { fenced: true, leaseExpiresAtMs: this.o.clock.nowMs() };
      if (status === undefined || status.epoch !== brokerEpoch || status.fencedAtMs !== null) return fenced;
      if (this.timers.leaseLapsed(nodeId)) {
        decideFence(tx, this.cluster(), nodeId);
        this.rebalancePending = true;
        return fenced;
      }
      return { fenced: false, leaseExpiresAtMs: this.timers.renew(nodeId) };
    });
  }

  releasePartition(tp: TopicPartition, leaderEpoch: number, brokerEpoch: number): Promise<ItemResult> {
    return this.mutate((tx) => {
      validPartition(tp);
      validInt('releasePartition: leaderEpoch', leaderEpoch);
      validInt('releasePartition: brokerEpoch', brokerEpoch);
      const r = decideReleasePartition(tx, this.cluster(), tp, leaderEpoch, brokerEpoch);
      if (r.errorCode === 0) this.rebalancePending = true;
      return r;
    });
  }

  drainBroker(nodeId: number, drain: boolean, reason: DrainReason = 'operator'): Promise<DrainResult> {
    return this.mutate((tx) => {
      validInt('drainBroker: nodeId', nodeId);
      if (typeof drain !== 'boolean') throw new RangeError(`drainBroker: drain must be true or false, got ${String(drain)}`);
      if (reason !== 'operator' && reason !== 'shutdown') throw new RangeError(`drainBroker: reason must be 'operator' or 'shutdown', got ${String(reason)}`);
      this.rebalancePending = true;
      return decideDrainBroker(tx, nodeId, drain, reason);
    });
  }

  /**
   * Graceful moves to the given leaders (at most cluster.maxConcurrentMoves under way).
   * The check loop's rebalance does not undo them unless the assignment becomes uneven
   * (a broker joins, leaves or drains).
   */
  reassignPartitions(assignments: readonly (TopicPartition & { readonly leader: number })[]): Promise<(TopicPartition & ItemResult)[]> {
    return this.mutate((tx) => {
      for (const a of assignments) {
        validPartition(a);
        validInt('reassignPartitions: leader', a.leader);
      }
      return decideReassignPartitions(tx, this.cluster(), assignments);
    });
  }

  describeCluster(): Promise<ClusterDescription> {
    return this.read(() => describeCluster(this.durable, this.o.controllerId, this.timers, this.suspects));
  }

  /**
   * One pass of the cluster check (start() runs it every cluster.checkIntervalMs): fences
   * brokers whose lease lapsed, cancels moves that cannot finish, ends moves that timed out,
   * and, when something changed the picture, moves partitions towards the desired
   * assignment. Passes are serialized.
   */
  runClusterCheck(options: { readonly stalled?: boolean } = {}): Promise<ClusterCheckSummary> {
    const run = this.clusterChain.then(() =>
      this.mutate((tx): ClusterCheckSummary => {
        const brokersFenced = decideFenceLapsed(tx, this.cluster()).length;
        // After a stall of this process, heartbeats may wait unread: suspect nobody new on that pass.
        if (options.stalled !== true) this.judgeSuspects(tx.state);
        this.timers.retainBrokers((nodeId) => tx.state.brokers.has(nodeId));
        const c = this.cluster();
        const movesEnded = decideCancelStuckMoves(tx, c) + decideMoveTimeouts(tx, c);
        if (brokersFenced > 0 || movesEnded > 0 || this.timers.recheckDue()) this.rebalancePending = true;
        let outcome = { movesStarted: 0, leadersChanged: 0, deferred: 0 };
        if (this.rebalancePending) {
          this.rebalancePending = false;
          outcome = decideRebalance(tx, c, { graceful: true });
        }
        this.timers.retain((key) => tx.state.moves.has(key));
        return { brokersFenced, movesEnded, movesStarted: outcome.movesStarted, leadersChanged: outcome.leadersChanged, movesDeferred: outcome.deferred };
      }),
    );
    this.clusterChain = run.catch(noop);
    return run;
  }

  private judgeSuspects(state: ControllerState): void {
    const now = suspectedBrokers(state, this.timers);
    const changes: SuspicionChange[] = [];
    for (const [nodeId, why] of now) {
      if (this.suspects.has(nodeId)) continue;
      changes.push({ nodeId, suspected: true, why });
      this.counters.brokersSuspected++;
    }
    for (const nodeId of this.suspects) if (!now.has(nodeId)) changes.push({ nodeId, suspected: false, why: null });
    if (changes.length === 0) return;
    this.suspects = new Set(now.keys());
    this.rebalancePending = true;
    for (const change of changes) this.o.onSuspicion(change);
  }

  clusterStats(): ClusterStats {
    let fenced = 0;
    let draining = 0;
    for (const b of this.durable.brokerStatus.values()) {
      if (b.fencedAtMs !== null) fenced++;
      if (b.drain !== null) draining++;
    }
    return { ...this.counters, brokers: this.durable.brokers.size, brokersFencedNow: fenced, brokersSuspectedNow: this.suspects.size, brokersDraining: draining, movesUnderWay: this.durable.moves.size };
  }

  /**
   * Removes a broker from the registry (an operator's decommission; leases come later).
   * The partitions it led get a new leader and a new epoch. Resolves false when the
   * broker was not registered.
   */
  unregisterBroker(nodeId: number): Promise<boolean> {
    return this.mutate((tx) => {
      const removed = decideUnregisterBroker(tx, this.cluster(), nodeId);
      this.rebalancePending = true;
      // Its coordinator's groups move to other brokers, whose coordinators report them.
      if (removed) decideCoordinatorReset(tx, this.ctx, nodeId);
      return removed;
    });
  }

  metadata(): ClusterMetadata {
    this.cachedMetadata ??= clusterMetadata(this.durable, this.o.controllerId);
    return this.cachedMetadata;
  }

  watch(listener: (metadata: ClusterMetadata) => void, watcher: WatcherIdentity = {}): () => void {
    const { brokerId } = watcher;
    if (brokerId !== undefined) validInt('watch: brokerId', brokerId);
    // A wrapper, so one listener watching twice is two subscriptions.
    const entry = (m: ClusterMetadata): void => listener(m);
    this.listeners.add(entry);
    if (brokerId !== undefined) this.timers.watchOpened(brokerId);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.listeners.delete(entry);
      if (brokerId !== undefined) this.timers.watchClosed(brokerId);
    };
  }

  private notify(): void {
    if (this.listeners.size === 0) return;
    const m = this.metadata();
    for (const listener of [...this.listeners]) {
      try {
        listener(m);
      } catch (err) {
        this.o.onBackgroundError(err, 'watch listener');
      }
    }
  }

  // --- topics ----------------------------------------------------------------------------

  createTopics(requests: readonly CreateTopicRequest[], options: { validateOnly: boolean }): Promise<CreateTopicResult[]> {
    return this.mutate((tx) => decideCreateTopics(tx, this.ctx, requests, options.validateOnly, this.suspects));
  }

  deleteTopics(topics: readonly { name?: string; topicId?: string }[]): Promise<(ItemResult & { name: string | null; topicId: string })[]> {
    this.rebalancePending = true;
    return this.mutate((tx) => decideDeleteTopics(tx, topics));
  }

  createPartitions(requests: readonly { name: string; count: number }[], options: { validateOnly: boolean }): Promise<(ItemResult & { name: string })[]> {
    this.rebalancePending = true;
    return this.mutate((tx) => decideCreatePartitions(tx, this.ctx, requests, options.validateOnly, this.suspects));
  }

  // --- ACLs ------------------------------------------------------------------------------

  createAcls(acls: readonly AclBinding[]): Promise<ItemResult[]> {
    return this.mutate((tx) => decideCreateAcls(tx, this.ctx, acls));
  }

  describeAcls(filter: AclFilter): Promise<ItemResult & { acls: AclBinding[] }> {
    return this.read(() => describeAcls(this.durable, filter));
  }

  deleteAcls(filters: readonly AclFilter[]): Promise<(ItemResult & { acls: AclBinding[] })[]> {
    return this.mutate((tx) => decideDeleteAcls(tx, filters));
  }

  // --- client quotas -----------------------------------------------------------------------

  alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<(ItemResult & { entity: readonly QuotaEntityPart[] })[]> {
    return this.mutate((tx) => decideAlterClientQuotas(tx, alterations, validateOnly));
  }

  // --- SCRAM credentials -----------------------------------------------------------------

  describeScramCredentials(users: readonly string[] | null): Promise<ScramDescribeResult[]> {
    return this.read(() => describeScramCredentials(this.durable, users));
  }

  alterScramCredentials(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Promise<ScramAlterResult[]> {
    return this.mutate((tx) => decideAlterScramCredentials(tx, this.ctx, deletions, upsertions));
  }

  scramCredential(user: string, mechanism: number): Promise<ScramCredentialRecord | undefined> {
    return this.read(() => lookupScramCredential(this.durable, user, mechanism));
  }

  // --- configs ---------------------------------------------------------------------------

  describeConfigs(resources: readonly { type: ConfigResourceType; name: string; keys: readonly string[] | null }[]): Promise<DescribeConfigsResult[]> {
    return this.read(() => describeConfigs(this.durable, this.o.broker, this.o.brokerConfigs, resources));
  }

  alterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string | null>> }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    return this.mutate((tx) => decideAlterConfigs(tx, this.ctx, resources, options.validateOnly));
  }

  incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; ops: readonly { name: string; op: AlterConfigOp; value: string | null }[] }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]> {
    return this.mutate((tx) => decideIncrementalAlterConfigs(tx, this.ctx, resources, options.validateOnly));
  }

  // --- the partition index ---------------------------------------------------------------

  commit(c: ObjectCommit): Promise<CommitResult> {
    return this.mutate((tx): CommitResult => {
      // Idempotent per object key: a retry gets the first answer (once that is durable).
      const earlier = tx.state.objects.get(c.objectKey);
      if (earlier !== undefined) return { rejected: [...earlier.rejected] };
      return decideCommit(tx, this.ctx, c);
    });
  }

  committedEndOffset(tp: TopicPartition): Promise<number> {
    return this.read(() => partitionOf(this.durable, tp)?.endOffset ?? 0);
  }

  logStartOffset(tp: TopicPartition): Promise<number> {
    return this.read(() => partitionOf(this.durable, tp)?.logStartOffset ?? 0);
  }

  extentsFrom(tp: TopicPartition, offset: number, maxExtents: number): Promise<readonly Extent[]> {
    return this.read(() => {
      if (Number.isNaN(maxExtents) || maxExtents < 0) throw new RangeError(`extentsFrom: maxExtents must be >= 0, got ${maxExtents}`);
      const p = partitionOf(this.durable, tp);
      if (p === undefined) return [];
      const first = firstExtentAtOrAfter(p.extents, offset);
      return p.extents.slice(first, first + maxExtents);
    });
  }

  producerBatches(tp: TopicPartition): Promise<readonly ProducerBatchRecord[]> {
    return this.read(() => listProducerBatches(partitionOf(this.durable, tp)?.producers));
  }

  deleteRecords(tp: TopicPartition, offset: number): Promise<ItemResult & { logStartOffset: number }> {
    return this.mutate((tx) => decideDeleteRecords(tx, tp, offset));
  }

  // --- consumer group offsets ---------------------------------------------------------------

  commitOffsets(group: string, offsets: readonly OffsetCommitItem[]): Promise<(TopicPartition & ItemResult)[]> {
    return this.mutate((tx) => decideCommitOffsets(tx, this.ctx, group, offsets));
  }

  /** Keys of the map are partitionKey(topicId, partition) from @stratus/partition-index ("<topicId>:<partition>"). */
  fetchOffsets(group: string, partitions: readonly TopicPartition[] | null): Promise<Map<string, CommittedOffset>> {
    return this.read(() => fetchOffsets(this.durable, group, partitions));
  }

  deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void> {
    return this.mutate((tx) => decideDeleteOffsets(tx, group, partitions));
  }

  deleteGroupOffsets(group: string): Promise<void> {
    return this.mutate((tx) => decideDeleteGroupOffsets(tx, group));
  }

  groupsWithOffsets(): Promise<string[]> {
    return this.read(() => [...this.durable.offsets.keys()].sort());
  }

  /**
   * Every group with committed offsets or members reported by a coordinator, with what the
   * controller knows of its membership (the admin API's group list; members themselves
   * live in the brokers' coordinators).
   */
  groupOverviews(): Promise<GroupOverview[]> {
    return this.read(() => groupOverviews(this.durable));
  }

  recordGroupMembership(group: string, report: GroupMembershipReport): Promise<void> {
    return this.mutate((tx) => decideGroupMembership(tx, this.ctx, group, report));
  }

  // --- producer ids -----------------------------------------------------------------------

  allocateProducerIds(size: number): Promise<ProducerIdBlock> {
    return this.mutate((tx) => decideAllocateProducerIds(tx, this.ctx, size));
  }

  // --- retention and garbage collection ----------------------------------------------------

  /**
   * One retention pass at `nowMs` (default: the clock's now): expires committed offsets,
   * advances log starts past expired extents, schedules objects no extent points at for
   * deletion after the grace period, and deletes (object store first, then the record)
   * those whose time has come. Runs are serialized. Rejects when the object store fails;
   * the next run retries.
   */
  runRetention(nowMs?: number): Promise<RetentionSummary> {
    const run = this.retentionChain.then(() => this.retentionPass(nowMs ?? this.o.clock.nowMs()));
    this.retentionChain = run.catch(noop);
    return run;
  }

  private async retentionPass(nowMs: number): Promise<RetentionSummary> {
    const offsetsExpired = await this.mutate((tx) => decideOffsetExpiry(tx, this.ctx, nowMs));
    const logStartsAdvanced = await this.mutate((tx) => decideRetention(tx, this.ctx, nowMs));
    const objectsScheduled = await this.mutate((tx) => decideScheduleDeletion(tx, this.ctx, nowMs));
    // From the durable state: an object is deleted only once its scheduling is durable.
    const due = objectsDueForDeletion(this.durable, nowMs, this.o.maxObjectDeletesPerRun);
    let objectsDeleted = 0;
    for (const keys of chunks(due)) {
      const refused = this.refusal();
      if (refused !== undefined) throw refused;
      await this.o.objectStore.deleteMany(keys);
      await this.mutate((tx) => tx.emit({ type: 'ObjectsDeleted', objectKeys: keys }));
      objectsDeleted += keys.length;
    }
    return { logStartsAdvanced, objectsScheduled, objectsDeleted, offsetsExpired };
  }

  /** Starts the retention timer (every retentionCheckIntervalMs; offset expiry runs with it). Idempotent. */
  start(): void {
    if (this.timerLoop !== undefined || this.closed || this.failure !== undefined) return;
    const abort = new AbortController();
    this.timer = abort;
    this.timerLoop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.o.clock.sleep(this.o.retentionCheckIntervalMs, abort.signal);
        } catch {
          return; // aborted by close() or a failure
        }
        try {
          await this.runRetention();
        } catch (err) {
          if (abort.signal.aborted) return;
          this.o.onBackgroundError(err, 'retention');
        }
      }
    })();
    this.maintenance.start(() => this.refusal() === undefined);
    this.clusterLoop = (async () => {
      let due = 0;
      while (!abort.signal.aborted) {
        try {
          due = this.o.clock.monotonicMs() + this.o.cluster.checkIntervalMs;
          await this.o.clock.sleep(this.o.cluster.checkIntervalMs, abort.signal);
        } catch {
          return; // aborted by close() or a failure
        }
        try {
          // Woken over a check interval late: this process was stalled (GC, CPU), not the brokers.
          await this.runClusterCheck({ stalled: this.o.clock.monotonicMs() - due > this.o.cluster.checkIntervalMs });
        } catch (err) {
          if (abort.signal.aborted) return;
          this.o.onBackgroundError(err, 'cluster check');
        }
      }
    })();
  }

  /**
   * One compaction run (default: at the clock's now): merges runs of small extents into
   * per-partition objects within the run's budget and swaps them into the index (see
   * background/compaction-runner.ts). start() runs it on its own loop.
   */
  runCompaction(nowMs?: number): Promise<CompactionRunSummary> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.maintenance.runCompaction(nowMs ?? this.o.clock.nowMs());
  }

  /** One bounded orphan sweep (default: at the clock's now); start() runs it every retentionCheckIntervalMs. */
  sweepOrphans(nowMs?: number): Promise<OrphanSweepSummary> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.reject(refused);
    return this.maintenance.sweepOrphans(nowMs ?? this.o.clock.nowMs());
  }

  /** Counters of compaction and the orphan sweep since open (for metrics). */
  maintenanceStats(): ObjectMaintenanceStats {
    return this.maintenance.stats();
  }

  // --- introspection and lifecycle ---------------------------------------------------------

  /** The durable state in its snapshot form: for diagnostics and for tests comparing whole states. */
  snapshotData(): SnapshotData {
    return toSnapshotData(this.durable);
  }

  stats(): ControllerStats {
    let liveObjects = 0;
    let objectBytes = 0;
    for (const o of this.durable.objects.values()) {
      if (o.liveExtents > 0) liveObjects++;
      objectBytes += o.objectSize;
    }
    return {
      metadataVersion: this.durable.metadataVersion,
      topics: this.durable.topics.size,
      partitions: this.durable.partitionCount,
      liveObjects,
      unreferencedObjects: this.durable.objects.size - liveObjects,
      objectBytes,
      committedOffsets: this.durable.offsetCount,
      groups: countGroups(this.durable),
      durableSeq: this.durableSeq,
      journalBytes: this.o.store.stats().journalBytes,
      ...this.snapshots.stats(),
    };
  }

  /**
   * Stops the timer, waits for pending changes to become durable, snapshots (so the next
   * open replays nothing) and closes the store. Later calls reject with
   * ControllerClosedError. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.closed = true;
    this.timer?.abort();
    await this.timerLoop;
    await this.clusterLoop;
    await this.clusterChain;
    await this.maintenance.stop();
    await this.retentionChain;
    await this.tail.catch(noop);
    await this.snapshotting;
    this.listeners.clear();
    try {
      if (this.failure === undefined && this.o.store.stats().journalBatches > 0) await this.snapshotNow();
    } catch (err) {
      // The journal still holds everything: the next open replays it.
      this.o.onBackgroundError(err, 'snapshot on close');
    }
    await this.o.store.close();
  }
}
