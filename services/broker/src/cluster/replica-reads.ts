// The read replicas this broker keeps for KIP-392 follower fetching: read-only views of
// partitions other brokers lead (StorageEngine.openReplica), serving committed data only —
// up to the committed end the controller's index answers, asked on every read round, so a
// replica never shows a stale or uncommitted end. Kept between fetches so a consumer's
// sequential reads keep their read-ahead; at most `maxPartitions` (least recently used
// dropped first), and dropped when this broker comes to lead the partition or the topic
// goes away.

import type { ClusterMetadata } from '@stratus/controller';
import type { PartitionLog, StorageEngine } from '@stratus/storage';
import { partitionKey } from '@stratus/storage';

export interface ReplicaReadSettings {
  /** Most partitions kept open for follower fetching. Default 1000. */
  readonly maxPartitions?: number;
  /** How often a long-polling follower fetch asks the controller whether more was committed. Default 250. */
  readonly pollIntervalMs?: number;
}

export class ReplicaReads {
  readonly pollIntervalMs: number;
  private readonly maxPartitions: number;
  private readonly storage: Pick<StorageEngine, 'openReplica'>;
  private readonly nodeId: number;
  /** Insertion order = recency (re-inserted on use). */
  private readonly logs = new Map<string, Promise<PartitionLog>>();

  constructor(storage: Pick<StorageEngine, 'openReplica'>, nodeId: number, settings: ReplicaReadSettings = {}) {
    this.storage = storage;
    this.nodeId = nodeId;
    this.maxPartitions = settings.maxPartitions ?? 1000;
    this.pollIntervalMs = settings.pollIntervalMs ?? 250;
    if (!Number.isInteger(this.maxPartitions) || this.maxPartitions < 1) throw new RangeError(`replicaReads.maxPartitions must be a positive integer, got ${this.maxPartitions}`);
    if (!(this.pollIntervalMs > 0)) throw new RangeError(`replicaReads.pollIntervalMs must be positive, got ${this.pollIntervalMs}`);
  }

  get openCount(): number {
    return this.logs.size;
  }

  /** The replica of a partition, opened on first use; its high watermark is synced before it is returned. */
  async replica(topicId: string, partition: number): Promise<PartitionLog> {
    const key = partitionKey(topicId, partition);
    let log = this.logs.get(key);
    if (log !== undefined) this.logs.delete(key);
    else log = this.storage.openReplica({ topicId, partition });
    this.logs.set(key, log);
    while (this.logs.size > this.maxPartitions) this.logs.delete(this.logs.keys().next().value!);
    try {
      const opened = await log;
      await opened.syncCommittedEnd();
      return opened;
    } catch (e) {
      // An open that failed (the controller unreachable) is not kept: the next fetch tries again.
      if (this.logs.get(key) === log) this.logs.delete(key);
      throw e;
    }
  }

  /** Drops replicas of partitions this broker now leads, and of topics that are gone. */
  onMetadata(md: ClusterMetadata): void {
    if (this.logs.size === 0) return;
    const keep = new Set<string>();
    for (const t of md.topics) for (const p of t.partitions) if (p.leader !== this.nodeId) keep.add(partitionKey(t.topicId, p.partition));
    for (const key of [...this.logs.keys()]) if (!keep.has(key)) this.logs.delete(key);
  }
}
