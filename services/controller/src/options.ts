// Options of Controller.open, their defaults and their validation. Every limit has a
// default and a bound, and every error names the option, so a bad config fails at start
// with a message that says what to fix.

import { DEFAULT_MAX_ACLS } from './acls/acl-model.ts';
import { DEFAULT_MAX_SCRAM_CREDENTIALS } from './scram/scram-model.ts';
import { systemClock, systemRandom } from '@stratus/runtime';
import type { Clock, Random } from '@stratus/runtime';
import type { ObjectStore } from '@stratus/objectstore';
import { DEFAULT_MAX_BATCH_BYTES } from '@stratus/partition-index';
import { resolveBrokerConfigs } from './config/broker-config.ts';
import type { BrokerConfigEntry, BrokerSettings } from './config/broker-config.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import { resolveCompactionOptions, resolveOrphanSweepOptions } from './config/gc-options.ts';
import type { CompactionOptions, OrphanSweepOptions, ResolvedCompactionOptions, ResolvedOrphanSweepOptions } from './config/gc-options.ts';
import { resolveClusterOptions } from './cluster/cluster-options.ts';
import type { ClusterOptions, ResolvedClusterOptions } from './cluster/cluster-options.ts';
import type { SuspicionChange, UncleanFailover } from './cluster/cluster-context.ts';

const MiB = 1024 * 1024;

export interface ControllerOptions {
  /** Where state is made durable (FileJournalStore, MemoryMetadataStore, ...). The controller closes it. */
  readonly store: MetadataStore;
  /** Where stream-set objects live: garbage collection deletes from it. Not closed by the controller. */
  readonly objectStore: ObjectStore;
  readonly clock?: Clock;
  readonly random?: Random;
  /**
   * ClusterMetadata.controllerId. Default: the lowest registered broker id (-1 with
   * none): Kafka admin clients send CreateTopics and friends to "the controller", which
   * must be a broker they can reach; every Stratus broker forwards to the controller.
   */
  readonly controllerId?: number;
  /**
   * The broker config resource, by Kafka key name: num.partitions,
   * default.replication.factor, auto.create.topics.enable, log.retention.ms,
   * log.retention.bytes, message.max.bytes. Read-only at run time; missing keys take
   * Kafka's defaults; unknown keys or bad values make open() throw naming the key.
   */
  readonly brokerConfigs?: Readonly<Record<string, string>>;
  /**
   * Largest record batch the brokers' storage holds (@stratus/partition-index maxBatchBytes of
   * their WAL and budget settings). message.max.bytes and every topic's
   * max.message.bytes must stay within it. Default: the storage defaults' limit.
   */
  readonly maxBatchBytes?: number;
  /** Most topics (CreateTopics and auto-creation answer POLICY_VIOLATION beyond). Default 10,000. */
  readonly maxTopics?: number;
  /** Most partitions of one topic (INVALID_PARTITIONS beyond). Default 10,000. */
  readonly maxPartitionsPerTopic?: number;
  /** Most partitions of all topics together (INVALID_PARTITIONS beyond). Default 100,000. */
  readonly maxPartitions?: number;
  /** Most registered brokers. Default 1,000. */
  readonly maxBrokers?: number;
  /** Most Kafka ACLs stored (CreateAcls beyond: POLICY_VIOLATION per ACL). Bounds every broker's copy and each authorization check. Default 10,000. */
  readonly maxAcls?: number;
  /** Most SCRAM credentials stored (user × mechanism; AlterUserScramCredentials beyond: POLICY_VIOLATION per user). Default 100,000. */
  readonly maxScramCredentials?: number;
  /** Most extents in one commit (one object). Default 10,000. */
  readonly maxExtentsPerCommit?: number;
  /** Most idempotent-producer batches in one commit (one object). Default 10,000. */
  readonly maxProducerBatchesPerCommit?: number;
  /** Most committed offsets over all groups (OffsetCommit answers INVALID_COMMIT_OFFSET_SIZE beyond). Default 1,000,000. */
  readonly maxCommittedOffsets?: number;
  /**
   * offsets.retention.minutes, in ms: committed offsets of a group without members expire
   * this long after it became empty (or after their commit, for a group never seen with
   * members); a Stable consumer group's offsets of topics it no longer subscribes to,
   * this long after their commit. Checked on the retention timer. Default 7 days (Kafka's).
   */
  readonly offsetsRetentionMs?: number;
  /** offset.metadata.max.bytes: longest commit metadata (OFFSET_METADATA_TOO_LARGE beyond). Default 4096. */
  readonly maxOffsetMetadataBytes?: number;
  /** Longest group id, in bytes (INVALID_GROUP_ID beyond). Default 4096. */
  readonly maxGroupIdBytes?: number;
  /** Largest producer-id block one call may take. Default 1,000,000. */
  readonly maxProducerIdBlockSize?: number;
  /** How often start()'s timer runs retention and garbage collection. Default 300,000 (Kafka's log.retention.check.interval.ms). */
  readonly retentionCheckIntervalMs?: number;
  /** How long an object no extent points at is kept before deletion: readers may still hold its extents. Default 600,000. */
  readonly objectDeleteGraceMs?: number;
  /** Most objects deleted per retention run (the rest wait for the next). Default 10,000. */
  readonly maxObjectDeletesPerRun?: number;
  /**
   * The key prefix the cluster's objects are written under (the uploaders' keyPrefix; the
   * cluster name in `stratus dev`): compacted objects get it, and the orphan sweep
   * deletes only objects under it. Default "stratus".
   */
  readonly objectKeyPrefix?: string;
  /** Object compaction (config/gc-options.ts). */
  readonly compaction?: CompactionOptions;
  /** Deleting objects written but never committed (config/gc-options.ts). */
  readonly orphanSweep?: OrphanSweepOptions;
  /** Broker leases, leadership moves and unclean failover (cluster/cluster-options.ts). */
  readonly cluster?: ClusterOptions;
  /** A snapshot is taken once this many journal bytes were appended since the last. Default 16 MiB. */
  readonly snapshotJournalBytes?: number;
  /**
   * After a failed snapshot (nothing is trimmed; the journal keeps everything), the next
   * automatic attempt waits this long, doubling with each consecutive failure up to
   * snapshotRetryMaxDelayMs. Default 5,000.
   */
  readonly snapshotRetryDelayMs?: number;
  /** Longest wait between failed snapshot attempts. Default 300,000 (snapshotRetryDelayMs when that is longer). */
  readonly snapshotRetryMaxDelayMs?: number;
  /** Failures of background work (retention timer, snapshots, watch listeners). Default: process.emitWarning. */
  readonly onBackgroundError?: (error: unknown, context: string) => void;
  /**
   * The metadata store failed: the controller refuses every call until the process
   * restarts and reloads what is durable. Called once; the process should become
   * unready and exit non-zero.
   */
  readonly onFatal?: (error: Error) => void;
  /**
   * A `local` partition moved by unclean failover: what its fenced leader acknowledged
   * but had not uploaded is given up. Default: process.emitWarning (it must be loud).
   */
  readonly onUncleanFailover?: (event: UncleanFailover) => void;
  /** A broker became a suspect (its `object` partitions move before its lease lapses) or stopped being one. Default: nothing. */
  readonly onSuspicion?: (change: SuspicionChange) => void;
}

export interface ResolvedControllerOptions {
  readonly store: MetadataStore;
  readonly objectStore: ObjectStore;
  readonly clock: Clock;
  readonly random: Random;
  readonly controllerId: number | undefined;
  readonly broker: BrokerSettings;
  /** The broker resource as DescribeConfigs shows it. */
  readonly brokerConfigs: readonly BrokerConfigEntry[];
  readonly maxBatchBytes: number;
  readonly maxTopics: number;
  readonly maxPartitionsPerTopic: number;
  readonly maxPartitions: number;
  readonly maxBrokers: number;
  readonly maxAcls: number;
  readonly maxScramCredentials: number;
  readonly maxExtentsPerCommit: number;
  readonly maxProducerBatchesPerCommit: number;
  readonly maxCommittedOffsets: number;
  readonly offsetsRetentionMs: number;
  readonly maxOffsetMetadataBytes: number;
  readonly maxGroupIdBytes: number;
  readonly maxProducerIdBlockSize: number;
  readonly retentionCheckIntervalMs: number;
  readonly objectDeleteGraceMs: number;
  readonly maxObjectDeletesPerRun: number;
  readonly objectKeyPrefix: string;
  readonly compaction: ResolvedCompactionOptions;
  readonly orphanSweep: ResolvedOrphanSweepOptions;
  readonly cluster: ResolvedClusterOptions;
  readonly snapshotJournalBytes: number;
  readonly snapshotRetryDelayMs: number;
  readonly snapshotRetryMaxDelayMs: number;
  readonly onBackgroundError: (error: unknown, context: string) => void;
  readonly onFatal: ((error: Error) => void) | undefined;
  readonly onUncleanFailover: (event: UncleanFailover) => void;
  readonly onSuspicion: (change: SuspicionChange) => void;
}

const DAY_MS = 86_400_000;
const INT32_MAX = 2 ** 31 - 1;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`Controller option ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

function keyPrefix(value: string | undefined): string {
  const v = value ?? 'stratus';
  if (typeof v !== 'string' || v.length === 0 || v.startsWith('/') || v.endsWith('/')) throw new RangeError(`Controller option objectKeyPrefix must be a non-empty key prefix without leading or trailing "/", got ${String(v)}`);
  return v;
}

function defaultUncleanFailover(e: UncleanFailover): void {
  process.emitWarning(
    `unclean failover: partition ${e.topic}-${e.partition} (topic id ${e.topicId}) moved from fenced broker ${e.from} to ${e.to} at leader epoch ${e.leaderEpoch} after ${e.fencedForMs} ms; data broker ${e.from} acknowledged but had not uploaded is lost`,
    { code: 'STRATUS_UNCLEAN_FAILOVER' },
  );
}

function defaultBackgroundError(error: unknown, context: string): void {
  process.emitWarning(`controller ${context} failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'STRATUS_CONTROLLER' });
}

export function resolveControllerOptions(o: ControllerOptions): ResolvedControllerOptions {
  if (o.store === undefined) throw new TypeError('Controller option store is required');
  if (o.objectStore === undefined) throw new TypeError('Controller option objectStore is required');
  const maxPartitionsPerTopic = integer('maxPartitionsPerTopic', o.maxPartitionsPerTopic, 10_000, 1, 1_000_000);
  const maxBatchBytes = integer('maxBatchBytes', o.maxBatchBytes, DEFAULT_MAX_BATCH_BYTES, 1, 2 ** 32 - 1);
  const broker = resolveBrokerConfigs(o.brokerConfigs ?? {}, { maxPartitionsPerTopic, maxBatchBytes });
  const snapshotRetryDelayMs = integer('snapshotRetryDelayMs', o.snapshotRetryDelayMs, 5_000, 0, DAY_MS);
  const cluster = resolveClusterOptions(o.cluster);
  return {
    store: o.store,
    objectStore: o.objectStore,
    clock: o.clock ?? systemClock,
    random: o.random ?? systemRandom,
    controllerId: o.controllerId === undefined ? undefined : integer('controllerId', o.controllerId, 0, -1, INT32_MAX),
    broker: { ...broker.settings, uncleanFailover: cluster.uncleanFailover, uncleanFailoverGraceMs: cluster.uncleanFailoverGraceMs },
    brokerConfigs: broker.entries,
    maxBatchBytes,
    maxTopics: integer('maxTopics', o.maxTopics, 10_000, 1, 10_000_000),
    maxPartitionsPerTopic,
    maxPartitions: integer('maxPartitions', o.maxPartitions, 100_000, 1, 10_000_000),
    maxBrokers: integer('maxBrokers', o.maxBrokers, 1_000, 1, 100_000),
    maxAcls: integer('maxAcls', o.maxAcls, DEFAULT_MAX_ACLS, 1, 1_000_000),
    maxScramCredentials: integer('maxScramCredentials', o.maxScramCredentials, DEFAULT_MAX_SCRAM_CREDENTIALS, 1, 10_000_000),
    maxExtentsPerCommit: integer('maxExtentsPerCommit', o.maxExtentsPerCommit, 10_000, 1, 100_000),
    maxProducerBatchesPerCommit: integer('maxProducerBatchesPerCommit', o.maxProducerBatchesPerCommit, 10_000, 1, 100_000),
    maxCommittedOffsets: integer('maxCommittedOffsets', o.maxCommittedOffsets, 1_000_000, 1, 100_000_000),
    offsetsRetentionMs: integer('offsetsRetentionMs', o.offsetsRetentionMs, 7 * DAY_MS, 1, 100 * 365 * DAY_MS),
    maxOffsetMetadataBytes: integer('maxOffsetMetadataBytes', o.maxOffsetMetadataBytes, 4096, 0, 1 * MiB),
    maxGroupIdBytes: integer('maxGroupIdBytes', o.maxGroupIdBytes, 4096, 1, 1 * MiB),
    maxProducerIdBlockSize: integer('maxProducerIdBlockSize', o.maxProducerIdBlockSize, 1_000_000, 1, 2 ** 31),
    retentionCheckIntervalMs: integer('retentionCheckIntervalMs', o.retentionCheckIntervalMs, 300_000, 1, DAY_MS),
    objectDeleteGraceMs: integer('objectDeleteGraceMs', o.objectDeleteGraceMs, 600_000, 0, 7 * DAY_MS),
    maxObjectDeletesPerRun: integer('maxObjectDeletesPerRun', o.maxObjectDeletesPerRun, 10_000, 1, 10_000_000),
    objectKeyPrefix: keyPrefix(o.objectKeyPrefix),
    compaction: resolveCompactionOptions(o.compaction),
    orphanSweep: resolveOrphanSweepOptions(o.orphanSweep),
    cluster,
    snapshotJournalBytes: integer('snapshotJournalBytes', o.snapshotJournalBytes, 16 * MiB, 1, 2 ** 40),
    snapshotRetryDelayMs,
    snapshotRetryMaxDelayMs: integer('snapshotRetryMaxDelayMs', o.snapshotRetryMaxDelayMs, Math.max(300_000, snapshotRetryDelayMs), snapshotRetryDelayMs, DAY_MS),
    onBackgroundError: o.onBackgroundError ?? defaultBackgroundError,
    onFatal: o.onFatal,
    onUncleanFailover: o.onUncleanFailover ?? defaultUncleanFailover,
    onSuspicion: o.onSuspicion ?? ((): void => undefined),
  };
}
