// The controller's API as the broker sees it. In embedded mode (`stratus dev`) the
// Controller class is called in process; later a gRPC client implements the same
// interface, so nothing on the broker side changes when the controller moves out.
//
// Errors: operations that the Kafka protocol reports per item (a topic, a partition, a
// group) return Kafka error codes (@stratus/protocol ErrorCode) with a message, because
// those are the vocabulary the broker answers in. Failures of the controller itself
// (journal I/O) reject the promise.

import type { AclBinding, AclFilter } from './acls/acl-model.ts';
import type { ClientQuotaEntry, QuotaAlteration, QuotaEntityPart } from './quotas/quota-model.ts';
import type { ScramAlterResult, ScramCredentialRecord, ScramDeletion, ScramDescribeResult, ScramUpsertion } from './scram/scram-model.ts';
import type { ExtentCommitter, ExtentSource, TopicPartition } from '@stratus/partition-index';

/** One advertised listener of a broker: where clients that connect through `listener` reach it. */
export interface BrokerEndpoint {
  /** The listener's name (kafka.listeners: INTERNAL, EXTERNAL, PLAINTEXT, ...). */
  readonly listener: string;
  readonly host: string;
  readonly port: number;
}

export interface BrokerInfo {
  readonly nodeId: number;
  /** The first advertised listener's address (what a broker of one listener registers). */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * Every advertised listener, in configuration order; the first is host:port. Absent or
   * empty (a broker or a journal from before listeners): host:port on every listener
   * (brokerEndpointFor in broker-endpoints.ts).
   */
  readonly endpoints?: readonly BrokerEndpoint[];
}

export interface PartitionInfo {
  readonly partition: number;
  /**
   * Leader broker id, or -1 when no broker leads it. The leader may be fenced (its lease
   * lapsed, see BrokerInfo.fenced): a `local` partition stays with its fenced leader until
   * it returns with its WAL (or unclean failover moves it); Kafka clients are shown -1.
   */
  readonly leader: number;
  /** Bumped on every leadership change; never decreases. */
  readonly leaderEpoch: number;
  /**
   * A graceful move in progress: the broker the partition moves to once `leader` has
   * uploaded and committed its tail and released it (releasePartition). The leader stops
   * accepting produce for it as soon as it sees this. Absent when no move is under way.
   */
  readonly movingTo?: number;
}

export interface TopicInfo {
  readonly name: string;
  /** Kafka textual UUID (22-character URL-safe base64). */
  readonly topicId: string;
  readonly partitions: readonly PartitionInfo[];
  /** Explicitly set configs only; defaults come from the config schema. */
  readonly configs: Readonly<Record<string, string>>;
  readonly internal: boolean;
}

/** A registered broker as the metadata shows it. */
export interface RegisteredBroker extends BrokerInfo {
  /** Its lease lapsed: not live (no new leadership, not a group coordinator, its partitions shown without leader). */
  readonly fenced: boolean;
  /** Being drained (drainBroker, by an operator or by its own shutdown): it gets no new leadership. */
  readonly draining: boolean;
}

export interface ClusterMetadata {
  readonly clusterId: string;
  readonly controllerId: number;
  /** Every registered broker, fenced or not; Kafka clients are shown the live ones. */
  readonly brokers: readonly RegisteredBroker[];
  readonly topics: readonly TopicInfo[];
  /** Increases with every metadata change (topics, partitions, leadership, configs, ACLs). */
  readonly version: number;
  /** Every stored Kafka ACL (absent from controllers and tests that predate ACLs: none). */
  readonly acls?: readonly AclBinding[];
  /** Every stored client quota entity with its values (absent from controllers and tests that predate quotas: none). */
  readonly quotas?: readonly ClientQuotaEntry[];
  /** Changes with every SCRAM credential change (absent from controllers that predate them): brokers drop cached credentials when it does. */
  readonly scramVersion?: number;
}

export interface ItemResult {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export interface CreateTopicRequest {
  readonly name: string;
  /** -1: the cluster default. */
  readonly numPartitions: number;
  /** -1 or 1 accepted (object storage keeps one copy); anything else is INVALID_REPLICATION_FACTOR. */
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string | null>>;
}

export interface CreateTopicResult extends ItemResult {
  readonly name: string;
  readonly topic: TopicInfo | null;
}

export type ConfigResourceType = 'topic' | 'broker';

export interface ConfigEntry {
  readonly name: string;
  readonly value: string | null;
  readonly readOnly: boolean;
  /** Kafka's ConfigSource: 1 dynamic topic, 4 static broker, 5 default. */
  readonly source: number;
  readonly sensitive: boolean;
  /** Kafka's ConfigType (v3+): 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password. */
  readonly type: number;
  readonly documentation: string | null;
}

export interface DescribeConfigsResult extends ItemResult {
  readonly resourceType: ConfigResourceType;
  readonly resourceName: string;
  readonly entries: readonly ConfigEntry[];
}

export type AlterConfigOp = 'set' | 'delete' | 'append' | 'subtract';

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  readonly commitTimestampMs: number;
}

export interface OffsetCommitItem extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

/**
 * What the group coordinator on broker `nodeId` tells the controller about a group's
 * membership, for offset expiry (Kafka's offsets.retention.minutes): committed offsets of
 * a group without members expire a retention period after it became empty, and a
 * Stable consumer-protocol group's offsets expire only for topics it no longer
 * subscribes to (KIP-211, KIP-496).
 */
export interface GroupMembershipReport {
  /** The coordinator's broker: reports of different coordinators (a group that moved) do not overwrite each other. */
  readonly nodeId: number;
  /** Whether the coordinator holds members of the group now; false: it just became empty. */
  readonly hasMembers: boolean;
  /**
   * With members: the topics they subscribe to when the group is Stable and speaks the
   * consumer protocol (their other offsets may expire); null when not known (rebalancing,
   * another protocol type), which keeps every offset of the group.
   */
  readonly subscribedTopics: readonly string[] | null;
}

export interface BrokerRegistration {
  /** New on every registration (monotonic): identifies this incarnation of the broker in heartbeats and releases. */
  readonly brokerEpoch: number;
  /** The lease lapses then (controller clock, epoch ms) unless renewed by heartbeat. */
  readonly leaseExpiresAtMs: number;
}

export interface HeartbeatResult {
  readonly leaseExpiresAtMs: number;
  /**
   * The broker must stop leading: its lease lapsed or `brokerEpoch` is not its current
   * registration. It stops accepting produce, keeps its WAL, and registers again.
   */
  readonly fenced: boolean;
}

/**
 * Who asked for a drain. 'operator': someone decommissioning the broker (say, before
 * scaling a StatefulSet in); it stays through restarts of the broker until an operator
 * undoes it. 'shutdown': the broker's own drain on SIGTERM, which its next start undoes.
 */
export type DrainReason = 'operator' | 'shutdown';

/** drainBroker's answer: how many partitions still have to move, and the broker's drain after the request. */
export interface DrainResult extends ItemResult {
  /** Partitions it still leads that are to move away (0 when it is not draining). */
  readonly partitionsToMove: number;
  readonly draining: boolean;
  /** null when not draining. An undrain with reason 'shutdown' leaves an operator's drain: 'operator' here. */
  readonly drainReason: DrainReason | null;
}

export interface BrokerState {
  readonly nodeId: number;
  readonly brokerEpoch: number;
  readonly leaseExpiresAtMs: number;
  readonly fenced: boolean;
  readonly draining: boolean;
  /** Who drains it; null while it is not draining. */
  readonly drainReason: DrainReason | null;
  /** Live but suspected of being gone (connection closed or silent): its `object` partitions moved away. */
  readonly suspected: boolean;
  /** Partitions it leads (incl. ones moving away). */
  readonly leaderOf: number;
}

export interface WatcherIdentity {
  readonly brokerId?: number;
}

export interface ClusterDescription {
  readonly metadata: ClusterMetadata;
  readonly brokers: readonly BrokerState[];
  /** Graceful moves under way. */
  readonly moves: readonly (TopicPartition & { readonly from: number; readonly to: number; readonly startedAtMs: number })[];
}

export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

export interface ControllerApi extends ExtentCommitter, ExtentSource {
  // Brokers and metadata.
  /**
   * Registers (or re-registers) a broker and starts its lease. A broker that comes back
   * keeps the partitions it still leads, with their leader epochs, so data it replays from
   * its WAL commits under the epoch it was written with.
   */
  registerBroker(broker: BrokerInfo): Promise<BrokerRegistration>;
  /** Renews the broker's lease (every cluster.heartbeatInterval). */
  heartbeat(nodeId: number, brokerEpoch: number): Promise<HeartbeatResult>;
  /**
   * The leader hands a partition over after a move started (PartitionInfo.movingTo): it
   * has stopped accepting produce for it and committed everything it acknowledged. Refused
   * (an error code) when `leaderEpoch`/`brokerEpoch` are not current or no move is under way.
   */
  releasePartition(tp: TopicPartition, leaderEpoch: number, brokerEpoch: number): Promise<ItemResult>;
  /**
   * Moves every partition away from the broker (gracefully) and gives it no new ones;
   * `false` undoes it. `reason` (default 'operator'): an operator's drain outranks a
   * shutdown drain, so draining with 'shutdown' a broker an operator drained keeps the
   * reason 'operator', and undraining with 'shutdown' (what a starting broker asks)
   * clears only a shutdown drain: an operator's stays, answered OK with the drain shown in
   * the result. Undraining with 'operator' clears either.
   */
  drainBroker(nodeId: number, drain: boolean, reason?: DrainReason): Promise<DrainResult>;
  /** Graceful moves to the given leaders. */
  reassignPartitions(assignments: readonly (TopicPartition & { readonly leader: number })[]): Promise<(TopicPartition & ItemResult)[]>;
  describeCluster(): Promise<ClusterDescription>;
  metadata(): ClusterMetadata;
  /**
   * Calls `listener` after every metadata change; returns an unsubscribe function.
   * `watcher.brokerId`: the subscription is that broker's connection to the controller,
   * and its end (unsubscribe) is a sign the broker may be gone (suspicion, cluster-timers.ts).
   * A client implementation ignores it: its own stream carries the id it was built with.
   */
  watch(listener: (metadata: ClusterMetadata) => void, watcher?: WatcherIdentity): () => void;

  // Topics.
  createTopics(requests: readonly CreateTopicRequest[], options: { validateOnly: boolean }): Promise<CreateTopicResult[]>;
  /** By name or topic id. Removes the partitions' extents; their objects are collected later. */
  deleteTopics(topics: readonly { name?: string; topicId?: string }[]): Promise<(ItemResult & { name: string | null; topicId: string })[]>;
  createPartitions(requests: readonly { name: string; count: number }[], options: { validateOnly: boolean }): Promise<(ItemResult & { name: string })[]>;

  // Configs (topic and broker resources).
  describeConfigs(resources: readonly { type: ConfigResourceType; name: string; keys: readonly string[] | null }[]): Promise<DescribeConfigsResult[]>;
  /** Replaces all dynamic configs of each resource (AlterConfigs). */
  alterConfigs(resources: readonly { type: ConfigResourceType; name: string; configs: Readonly<Record<string, string | null>> }[], options: { validateOnly: boolean }): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]>;
  /** Applies per-key operations (IncrementalAlterConfigs). */
  incrementalAlterConfigs(
    resources: readonly { type: ConfigResourceType; name: string; ops: readonly { name: string; op: AlterConfigOp; value: string | null }[] }[],
    options: { validateOnly: boolean },
  ): Promise<(ItemResult & { type: ConfigResourceType; name: string })[]>;

  // The partition index (commit, committedEndOffset, logStartOffset, extentsFrom come from
  // ExtentCommitter & ExtentSource) and DeleteRecords.
  /** Moves the log start offset up to `offset` (-1: to the committed end). Returns the new log start. */
  deleteRecords(tp: TopicPartition, offset: number): Promise<ItemResult & { logStartOffset: number }>;

  // Consumer group offsets (membership lives in the broker's group coordinator).
  commitOffsets(group: string, offsets: readonly OffsetCommitItem[]): Promise<(TopicPartition & ItemResult)[]>;
  /**
   * Committed offsets of the group; all of them when `partitions` is null. Keyed by
   * `partitionKey(topicId, partition)` from @stratus/partition-index ("<topicId>:<partition>");
   * partitions without a committed offset are absent.
   */
  fetchOffsets(group: string, partitions: readonly TopicPartition[] | null): Promise<Map<string, CommittedOffset>>;
  deleteOffsets(group: string, partitions: readonly TopicPartition[]): Promise<void>;
  /** Removes every committed offset of the group. */
  deleteGroupOffsets(group: string): Promise<void>;
  /** Groups that have committed offsets. */
  groupsWithOffsets(): Promise<string[]>;
  /**
   * Records a change of a group's membership as its coordinator sees it (the time is the
   * controller's). A coordinator reports when a group gains its first member, becomes
   * Stable with a new subscription, or becomes empty; a broker that registers (restarts)
   * holds no members, so its groups count as empty from then on.
   */
  recordGroupMembership(group: string, report: GroupMembershipReport): Promise<void>;

  // Producer ids.
  /** A block of `size` consecutive ids never handed out before (also across restarts). */
  allocateProducerIds(size: number): Promise<ProducerIdBlock>;

  /** CreateAcls: one result per binding, in order (INVALID_REQUEST for a binding Kafka refuses). */
  createAcls(acls: readonly AclBinding[]): Promise<ItemResult[]>;
  /** DescribeAcls: the stored bindings the filter matches. */
  describeAcls(filter: AclFilter): Promise<ItemResult & { acls: AclBinding[] }>;
  /** DeleteAcls: per filter, the bindings it matched, all removed. */
  deleteAcls(filters: readonly AclFilter[]): Promise<(ItemResult & { acls: AclBinding[] })[]>;
  /** AlterClientQuotas: one result per distinct entity, in the order entities first appear (validateOnly: decided, not stored). */
  alterClientQuotas(alterations: readonly QuotaAlteration[], validateOnly: boolean): Promise<(ItemResult & { entity: readonly QuotaEntityPart[] })[]>;

  /** DescribeUserScramCredentials: Kafka's answer per user; null or empty: every user holding a credential. */
  describeScramCredentials(users: readonly string[] | null): Promise<ScramDescribeResult[]>;
  /** AlterUserScramCredentials with the keys already derived from the salted password: Kafka's result per user. */
  alterScramCredentials(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Promise<ScramAlterResult[]>;
  /** The stored credential of a user for a mechanism code (a broker authenticating a client), or undefined. */
  scramCredential(user: string, mechanism: number): Promise<ScramCredentialRecord | undefined>;
  close(): Promise<void>;
}
