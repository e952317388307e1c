// An in-memory stand-in for the controller, implementing only what the group and offset
// handlers call: metadata (topics and brokers) and the group offset store. Any other
// ControllerApi method throws, so a handler that strays is caught. `failing` makes the
// offset calls reject as an unreachable remote controller does (ControllerUnavailableError),
// to exercise the COORDINATOR_NOT_AVAILABLE paths.

import { partitionKey } from '@stratus/storage';
import type { TopicPartition } from '@stratus/storage';
import { ControllerUnavailableError } from '@stratus/controller';
import type { BrokerInfo, ClusterMetadata, CommittedOffset, ControllerApi, GroupMembershipReport, ItemResult, OffsetCommitItem, TopicInfo } from '@stratus/controller';

export class FakeOffsetController {
  readonly topics: TopicInfo[] = [];
  brokers: BrokerInfo[] = [];
  /** group → `topicId:partition` → offset */
  readonly offsets = new Map<string, Map<string, CommittedOffset>>();
  /** Membership reports, in the order the coordinator sent them. */
  readonly memberships: { group: string; report: GroupMembershipReport }[] = [];
  failing = false;
  calls = 0;
  private version = 1;
  private nextTopic = 0;

  addTopic(name: string, partitions: number): TopicInfo {
    // 22 characters of URL-safe base64, like Kafka's textual UUIDs.
    const topicId = `topic${String(this.nextTopic++).padStart(17, '0')}`;
    const topic: TopicInfo = {
      name,
      topicId,
      partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, leader: 1, leaderEpoch: 0 })),
      configs: {},
      internal: false,
    };
    this.topics.push(topic);
    this.version++;
    return topic;
  }

  setBrokers(brokers: BrokerInfo[]): void {
    this.brokers = brokers;
    this.version++;
  }

  metadata(): ClusterMetadata {
    return { clusterId: 'test-cluster', controllerId: 1, brokers: this.brokers.map((b) => ({ ...b, fenced: false, draining: false })), topics: this.topics, version: this.version };
  }

  watch(): () => void {
    return () => {};
  }

  async commitOffsets(group: string, items: readonly OffsetCommitItem[]): Promise<(TopicPartition & ItemResult)[]> {
    this.check();
    let g = this.offsets.get(group);
    if (g === undefined) this.offsets.set(group, (g = new Map()));
    for (const i of items) g.set(partitionKey(i.topicId, i.partition), { offset: i.offset, leaderEpoch: i.leaderEpoch, metadata: i.metadata, commitTimestampMs: 0 });
    return items.map((i) => ({ topicId: i.topicId, partition: i.partition, errorCode: 0, errorMessage: null }));
  }

  async fetchOffsets(group: string, partitions: readonly TopicPartition[] | null): Promise<Map<string, CommittedOffset>> {
    this.check();
    const g = this.offsets.get(group) ?? new Map<string, CommittedOffset>();
    if (partitions === null) return new Map(g);
    const out = new Map<string, CommittedOffset>();
    for (const tp of partitions) {
      const o = g.get(partitionKey(tp.topicId, tp.partition));
      if (o !== undefined) out.set(partitionKey(tp.topicId, tp.partition), o);
    }
    return out;
  }

  async deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void> {
    this.check();
    const g = this.offsets.get(group);
    for (const tp of partitions) g?.delete(partitionKey(tp.topicId, tp.partition));
    if (g?.size === 0) this.offsets.delete(group);
  }

  async deleteGroupOffsets(group: string): Promise<void> {
    this.check();
    this.offsets.delete(group);
  }

  /** Not subject to `failing`: a refused report only reaches the coordinator's onError. */
  async recordGroupMembership(group: string, report: GroupMembershipReport): Promise<void> {
    this.memberships.push({ group, report });
  }

  async groupsWithOffsets(): Promise<string[]> {
    this.check();
    return [...this.offsets.keys()];
  }

  /** The ControllerApi view: the methods above, anything else throws. */
  asControllerApi(): ControllerApi {
    return new Proxy(this, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value === 'function') return (value as (...args: unknown[]) => unknown).bind(target);
        if (value !== undefined) return value;
        return () => {
          throw new Error(`group handlers must not call controller.${String(prop)}`);
        };
      },
    }) as unknown as ControllerApi;
  }

  private check(): void {
    this.calls++;
    // 14: gRPC UNAVAILABLE.
    if (this.failing) throw new ControllerUnavailableError('controller unavailable (test)', 14);
  }
}
