// Which partition logs this broker has open: a partition is opened on first use when the
// metadata says this broker leads it, and dropped (its log failed, so writers stop) when
// leadership moves, the leader epoch changes or the topic is deleted. Each open partition
// carries its idempotent-producer state, rebuilt from the batches recovered at start.

import type { ClusterMetadata, TopicInfo } from '@stratus/controller';
import { readBatchHeader } from '@stratus/protocol';
import type { PartitionLog, StorageEngine } from '@stratus/storage';
import { partitionKey } from '@stratus/storage';
import type { OpenPartition, PartitionAccess, TopicCatalog } from './broker-context.ts';
import { ProducerStateTable } from './produce/producer-state.ts';
import { topicSettings } from './topic-settings.ts';

export class PartitionManager implements PartitionAccess {
  private readonly open = new Map<string, OpenPartition>();
  private readonly opening = new Map<string, Promise<OpenPartition | undefined>>();
  private readonly storage: StorageEngine;
  private readonly nodeId: number;
  private readonly catalog: () => TopicCatalog;

  constructor(storage: StorageEngine, nodeId: number, catalog: () => TopicCatalog) {
    this.storage = storage;
    this.nodeId = nodeId;
    this.catalog = catalog;
  }

  /** The open partition if it is already open (no await: keeps pipelined appends in order). */
  openNow(topicId: string, partition: number): OpenPartition | undefined {
    return this.open.get(partitionKey(topicId, partition));
  }

  async partition(topicId: string, partition: number): Promise<OpenPartition | undefined> {
    const key = partitionKey(topicId, partition);
    const ready = this.open.get(key);
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
    const settings = topicSettings(topic);
    const log = await this.storage.openPartition({ topicId, partition, leaderEpoch: info.leaderEpoch, durability: settings.durability, logAppendTime: settings.logAppendTime });
    const producers = new ProducerStateTable();
    for (const batch of log.tailBatches()) {
      const h = readBatchHeader(batch, 0);
      if (h.producerId >= 0) producers.record(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, Promise.resolve(h.baseOffset));
    }
    const opened = { log, producers, leaderEpoch: info.leaderEpoch };
    this.open.set(partitionKey(topicId, partition), opened);
    return opened;
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
      } else if (topic !== undefined) {
        // Durability and timestamp type may change with AlterConfigs while the log is open.
        const settings = topicSettings(topic);
        p.log.configure({ durability: settings.durability, logAppendTime: settings.logAppendTime });
      }
    }
  }
}
