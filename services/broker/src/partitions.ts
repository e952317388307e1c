// Which partition logs this broker has open: a partition is opened on first use when the
// metadata says this broker leads it, and dropped (its log failed, so writers stop) when
// leadership moves, the leader epoch changes or the topic is deleted. Each open partition
// carries its idempotent-producer state, rebuilt when it opens from two sources: the
// producer batches the partition index committed (snapshotted with every commit, so it
// survives restarts and leadership moves), then the newer batches in the log's tail
// (recovered from the WAL, not committed yet).
//
// In a cluster a led partition may also take no appends for a while (its logs'
// stopAppends): while the broker has fenced itself (its lease was not renewed in time) and
// while it hands the partition over to another broker (cluster/hand-over.ts). Produce then
// answers NOT_LEADER_OR_FOLLOWER; appends resume when the lease is renewed or the move is
// cancelled.

import type { ClusterMetadata, ControllerApi, TopicInfo } from '@stratus/controller';
import { readBatchHeader } from '@stratus/protocol';
import type { ExtentSource, PartitionLog, StorageEngine } from '@stratus/storage';
import { DEFAULT_MAX_PRODUCERS_PER_PARTITION, partitionKey } from '@stratus/storage';
import type { OpenPartition, PartitionAccess, TopicCatalog } from './broker-context.ts';
import { ProducerStateTable } from './produce/producer-state.ts';
import { LogStartRecorder } from './delete-records/log-start-recorder.ts';
import { logSettings } from './topic-settings.ts';

/** What the partition manager asks the controller's partition index. */
type PartitionIndex = Pick<ExtentSource, 'committedEndOffset' | 'producerBatches'> & Pick<ControllerApi, 'deleteRecords'>;

export class PartitionManager implements PartitionAccess {
  private readonly open = new Map<string, OpenPartition>();
  private readonly opening = new Map<string, Promise<OpenPartition | undefined>>();
  private readonly storage: StorageEngine;
  private readonly index: PartitionIndex;
  private readonly nodeId: number;
  private readonly catalog: () => TopicCatalog;
  private readonly maxProducersPerPartition: number | undefined;
  private fenced = false;
  /** Partitions being handed over (keys): they take no appends. */
  private readonly handingOver = new Set<string>();

  /**
   * `index`: the partition index (the controller), for the committed producer state and
   * log starts. `maxProducersPerPartition`: the bound of each partition's producer state
   * (ProducerStateTable's default when undefined).
   */
  constructor(storage: StorageEngine, index: PartitionIndex, nodeId: number, catalog: () => TopicCatalog, maxProducersPerPartition?: number) {
    this.storage = storage;
    this.index = index;
    this.nodeId = nodeId;
    this.catalog = catalog;
    this.maxProducersPerPartition = maxProducersPerPartition;
  }

  /** The open partition if it is already open (no await: keeps pipelined appends in order). */
  openNow(topicId: string, partition: number): OpenPartition | undefined {
    return this.current(partitionKey(topicId, partition));
  }

  /**
   * The open partition, unless its log was handed over to a new one (the storage engine
   * suspends every log when the WAL's disk fills up): then it is forgotten, and the next
   * request opens the new log, which continues after the old one's durable entries.
   */
  private current(key: string): OpenPartition | undefined {
    const open = this.open.get(key);
    if (open?.log.suspended) {
      this.open.delete(key);
      return undefined;
    }
    return open;
  }

  async partition(topicId: string, partition: number): Promise<OpenPartition | undefined> {
    const key = partitionKey(topicId, partition);
    const ready = this.current(key);
    if (ready !== undefined) return ready;
    let pending = this.opening.get(key);
    if (pending === undefined) {
      pending = this.openPartition(topicId, partition).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  async log(topicId: string, partition: number): Promise<PartitionLog | undefined> {
    return (await this.partition(topicId, partition))?.log;
  }

  private async openPartition(topicId: string, partition: number): Promise<OpenPartition | undefined> {
    const topic = this.catalog().topicById(topicId);
    const info = topic?.partitions.find((p) => p.partition === partition);
    if (topic === undefined || info === undefined || info.leader !== this.nodeId) return undefined;
    const settings = logSettings(topic);
    const log = await this.storage.openPartition({ topicId, partition, leaderEpoch: info.leaderEpoch, durability: settings.durability, logAppendTime: settings.logAppendTime });
    const producers = await this.loadProducerState(log);
    const opened = { log, producers, leaderEpoch: info.leaderEpoch, logStart: new LogStartRecorder(log, this.index) };
    const key = partitionKey(topicId, partition);
    this.open.set(key, opened);
    this.applyAppendState(key, opened);
    return opened;
  }

  /**
   * The partition's idempotent-producer state: the committed batches first (oldest
   * first), then the tail's batches, which are newer. A tail batch may be committed
   * already (recovered entries are being re-uploaded while we read): those below the
   * committed end are in the committed list or older than it, and one committed between
   * the two reads is at or below its producer's last committed batch; both are skipped,
   * so no batch is recorded twice and none is recorded out of order.
   *
   * A tail batch of an `object` topic is not acknowledged yet — the WAL is not its
   * durability — so a client's retry of it (a duplicate) is answered only once it is
   * committed, as the original append would have been: answering at once acknowledged
   * data that a failover could still drop (the partition moved away before the recovered
   * entry was uploaded, and the new leader wrote other records at its offsets; found by
   * the cluster chaos campaign).
   */
  private async loadProducerState(log: PartitionLog): Promise<ProducerStateTable> {
    const tp = { topicId: log.topicId, partition: log.partition };
    const committedEnd = await this.index.committedEndOffset(tp);
    const committed = await this.index.producerBatches(tp);
    // A committed table at the index's bound may have forgotten producers: then an unknown
    // producer may be a forgotten one, not a new one (ProducerStateTable).
    const committedProducers = new Set(committed.map((b) => b.producerId)).size;
    const producers = new ProducerStateTable(this.maxProducersPerPartition, committedProducers < DEFAULT_MAX_PRODUCERS_PER_PARTITION);
    const lastCommitted = new Map<number, number>();
    for (const b of committed) {
      producers.record(b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta, Promise.resolve(b.baseOffset));
      lastCommitted.set(b.producerId, Math.max(lastCommitted.get(b.producerId) ?? -1, b.baseOffset));
    }
    for (const batch of log.tailBatches()) {
      const h = readBatchHeader(batch, 0);
      if (h.producerId < 0 || h.baseOffset < committedEnd || h.baseOffset <= (lastCommitted.get(h.producerId) ?? -1)) continue;
      producers.record(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, log.durability === 'object' ? committedAt(log, h.baseOffset, h.lastOffsetDelta) : Promise.resolve(h.baseOffset));
    }
    return producers;
  }

  /**
   * The broker fenced itself (true: no led partition takes appends) or holds its lease
   * again (false: they do, except those being handed over). Partitions opened meanwhile
   * follow the same state.
   */
  setFenced(fenced: boolean): void {
    this.fenced = fenced;
    for (const [key, p] of this.open) this.applyAppendState(key, p);
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** A hand-over starts: the partition takes no appends from now on. */
  beginHandOver(topicId: string, partition: number): void {
    const key = partitionKey(topicId, partition);
    this.handingOver.add(key);
    const p = this.open.get(key);
    if (p !== undefined) this.applyAppendState(key, p);
  }

  /** A hand-over ended without the partition moving (cancelled): it takes appends again unless fenced. */
  endHandOver(topicId: string, partition: number): void {
    const key = partitionKey(topicId, partition);
    this.handingOver.delete(key);
    const p = this.open.get(key);
    if (p !== undefined) this.applyAppendState(key, p);
  }

  private applyAppendState(key: string, p: OpenPartition): void {
    if (this.fenced) p.log.stopAppends('this broker fenced itself: its lease with the controller was not renewed in time');
    else if (this.handingOver.has(key)) p.log.stopAppends('the partition is being handed over to another broker');
    else p.log.resumeAppends();
  }

  /** Partitions open here now (for metrics). */
  get openCount(): number {
    return this.open.size;
  }

  /** Settles once no DeleteRecords move is still being recorded in the controller (shutdown). */
  async idle(): Promise<void> {
    await Promise.all([...this.open.values()].map((p) => p.logStart.idle()));
  }

  /** Reacts to new metadata: partitions no longer led here (or re-led under a new epoch) are dropped. */
  onMetadata(metadata: ClusterMetadata): void {
    const topics = new Map<string, TopicInfo>(metadata.topics.map((t) => [t.topicId, t]));
    for (const [key, p] of this.open) {
      const topic = topics.get(p.log.topicId);
      const info = topic?.partitions.find((x) => x.partition === p.log.partition);
      if (info === undefined || info.leader !== this.nodeId || info.leaderEpoch !== p.leaderEpoch) {
        this.storage.closePartition(p.log.topicId, p.log.partition, `leadership of ${key} moved`);
        this.open.delete(key);
        this.handingOver.delete(key);
      } else if (topic !== undefined) {
        // Durability and timestamp type may change with AlterConfigs while the log is open.
        const settings = logSettings(topic);
        p.log.configure({ durability: settings.durability, logAppendTime: settings.logAppendTime });
      }
    }
  }
}

/** Resolves with `baseOffset` once the batch is committed to the index; rejects if the log fails (leadership lost) first. */
function committedAt(log: PartitionLog, baseOffset: number, lastOffsetDelta: number): Promise<number> {
  return log.committedThrough(baseOffset + lastOffsetDelta + 1).then((ok) => {
    if (!ok) throw new Error(`the batch at offset ${baseOffset} was not committed: the partition's log ended first`);
    return baseOffset;
  });
}
