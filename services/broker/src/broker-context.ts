// What handlers are given: the controller, the storage engine's partition logs that this
// broker leads, the group coordinator, configuration and a clock. Handler files depend
// on this shape only, never on how the broker was assembled.

import type { BrokerEndpoint, ClusterMetadata, ControllerApi, TopicInfo } from '@stratus/controller';
import type { Clock } from '@stratus/runtime';
import type { PartitionLog } from '@stratus/storage';
import type { ProducerStateTable } from './produce/producer-state.ts';
import type { Authorizer } from './auth/authorized-operations.ts';
import type { ClientQuotas } from './quotas/client-quotas.ts';
import type { LogStartRecorder } from './delete-records/log-start-recorder.ts';

export interface BrokerConfig {
  readonly nodeId: number;
  /** Host and port clients are told to connect to (Metadata, FindCoordinator): the first advertised listener's. */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /**
   * Every advertised listener, in configuration order, the first at advertisedHost:
   * advertisedPort (advertised-listeners.ts). Clients connected through a listener are
   * told that listener's addresses. Absent: one PLAINTEXT listener at advertisedHost:advertisedPort.
   */
  readonly endpoints?: readonly BrokerEndpoint[];
  readonly rack: string | null;
  /** auto.create.topics.enable: Metadata and Produce create unknown topics. */
  readonly autoCreateTopics: boolean;
  /** num.partitions for auto-created topics and CreateTopics with -1. */
  readonly defaultPartitions: number;
  /** Largest fetch response, all partitions together (fetch.max.bytes cap). */
  readonly fetchMaxBytes: number;
  /** Longest long poll a Fetch may ask for. */
  readonly fetchMaxWaitMs: number;
  /** How long one partition's read may take before Fetch answers KAFKA_STORAGE_ERROR for it (default DEFAULT_FETCH_READ_TIMEOUT_MS). */
  readonly fetchReadTimeoutMs?: number;
  /** Group coordinator: group.min/max.session.timeout.ms and initial rebalance delay. */
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  /**
   * offsets.retention.minutes, in ms: informational here (OffsetCommit's own retention
   * times are ignored, as Kafka 2.1+ does); the controller expires offsets with its
   * offsetsRetentionMs, which `stratus dev` sets to the same value.
   */
  readonly offsetsRetentionMs: number;
  /** Most groups the coordinator holds, Empty ones evicted first (JoinGroup of a new group beyond: GROUP_MAX_SIZE_REACHED). Default 10,000. */
  readonly groupMaxGroups?: number;
  /** group.max.size: most members of one group (JoinGroup beyond: GROUP_MAX_SIZE_REACHED). Default 1,000. */
  readonly groupMaxSize?: number;
  /**
   * How often the coordinator forgets Empty groups that have no committed offsets left
   * (Kafka's cleanup on offsets.retention.check.interval.ms: such a group becomes Dead and
   * leaves the cache). `stratus dev` sets it to retention.checkInterval, the cadence of
   * the controller's offset expiry. Unset: never (Empty groups then stay until evicted at
   * groupMaxGroups).
   */
  readonly groupCleanupIntervalMs?: number;
  /**
   * Idempotent producers whose last batches a led partition remembers. Beyond, the least
   * recently written is forgotten: its next batch is accepted as a new producer's, as
   * Kafka does once producer.id.expiration.ms passed. Default 10,000.
   */
  readonly maxProducersPerPartition?: number;
  /** message.max.bytes: max.message.bytes of topics that do not set it. */
  readonly messageMaxBytes: number;
  /** Most bytes one produced batch may decompress to while its records are validated (MESSAGE_TOO_LARGE beyond). */
  readonly maxDecompressedBatchBytes: number;
}

/** fetch.readTimeout: a read the object store cannot serve within this is answered as unavailable. */
export const DEFAULT_FETCH_READ_TIMEOUT_MS = 10_000;

/** Topic lookups by name and id over one metadata snapshot. */
export class TopicCatalog {
  readonly metadata: ClusterMetadata;
  private readonly byName: ReadonlyMap<string, TopicInfo>;
  private readonly byId: ReadonlyMap<string, TopicInfo>;

  constructor(metadata: ClusterMetadata) {
    this.metadata = metadata;
    this.byName = new Map(metadata.topics.map((t) => [t.name, t]));
    this.byId = new Map(metadata.topics.map((t) => [t.topicId, t]));
  }

  topic(name: string): TopicInfo | undefined {
    return this.byName.get(name);
  }

  topicById(topicId: string): TopicInfo | undefined {
    return this.byId.get(topicId);
  }
}

/** A partition this broker leads, with its log and idempotent-producer state. */
export interface OpenPartition {
  readonly log: PartitionLog;
  readonly producers: ProducerStateTable;
  readonly leaderEpoch: number;
  /** DeleteRecords: moves the log start now and records it in the controller once committed. */
  readonly logStart: LogStartRecorder;
}

export interface PartitionAccess {
  /** The partition if it is open already — no await, so pipelined appends keep their order. */
  openNow(topicId: string, partition: number): OpenPartition | undefined;
  /**
   * The partition, opened on first use. Undefined when the topic or partition does not
   * exist or another broker leads it.
   */
  partition(topicId: string, partition: number): Promise<OpenPartition | undefined>;
  /** Shorthand for partition(...).log. */
  log(topicId: string, partition: number): Promise<PartitionLog | undefined>;
}

/** KIP-392 follower fetching: read-only views of partitions other brokers lead (cluster/replica-reads.ts). */
export interface ReplicaAccess {
  /** The partition's committed data, its high watermark just asked of the controller. */
  replica(topicId: string, partition: number): Promise<PartitionLog>;
  /** How often a long-polling fetch of a replica asks whether more was committed. */
  readonly pollIntervalMs: number;
}

export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly controller: ControllerApi;
  readonly clock: Clock;
  /** The latest metadata snapshot, refreshed on every controller change. */
  catalog(): TopicCatalog;
  readonly partitions: PartitionAccess;
  /** Decides authorized operations; absent, every supported operation is allowed (Kafka without an authorizer). */
  readonly authorizer?: Authorizer;
  /** Serves consumers' fetches of partitions led elsewhere (KIP-392); absent, only led partitions are served. */
  readonly replicas?: ReplicaAccess;
  /** Client quotas; absent (tests that build contexts by hand): none apply. */
  readonly quotas?: Pick<ClientQuotas, 'maxFetchBytes'>;
}
