// The configuration of the stratus command, as one validated schema. Every limit the
// process has is here, with its default; a bad value fails start-up with a message that
// names the key. Sizes are bytes, durations are strings (see duration.ts) turned into
// milliseconds.

import { z } from 'zod';
import { parseConnectionsPerIpOverrides, UNLIMITED_CONNECTIONS_PER_IP } from '@stratus/broker';
import { parseDurationMs } from './duration.ts';

const bytes = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const port = z.number().int().min(0).max(65535);
const duration = z.string().transform((s, ctx) => {
  const ms = parseDurationMs(s);
  if (typeof ms === 'string') {
    ctx.addIssue({ code: 'custom', message: ms });
    return z.NEVER;
  }
  return ms;
});

const MiB = 1024 * 1024;
const DAY_MS = 86_400_000;

export const configSchema = z
  .object({
    node: z.object({ id: z.number().int().min(0).max(2_147_483_647).default(1) }).prefault({}),
    dataDir: z.string().min(1).default('./data'),
    clusterName: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').default('stratus'),
    kafka: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9092),
        advertisedHost: z.string().min(1).optional(),
        advertisedPort: port.optional(),
        rack: z.string().min(1).nullable().default(null),
        maxConnections: z.number().int().min(1).default(10_000),
        socketRequestMaxBytes: bytes(1024).default(100 * MiB),
        connectionMaxInflightRequests: z.number().int().min(1).default(100),
        connectionMaxInflightBytes: bytes(1024).default(100 * MiB),
        maxInflightBytes: bytes(1024).default(512 * MiB),
        connectionsMaxIdle: duration.prefault('10m'),
        shutdownDrain: duration.prefault('10s'),
        /** Slow and greedy clients: see services/broker/src/network (options.ts, budgets.ts, response-ledger.ts). */
        requestReceiveTimeout: duration.prefault('30s'),
        responseStallTimeout: duration.prefault('30s'),
        maxConnectionsPerIp: z.number().int().min(0).max(UNLIMITED_CONNECTIONS_PER_IP).default(UNLIMITED_CONNECTIONS_PER_IP),
        maxConnectionsPerIpOverrides: z.string().default('').superRefine((text, ctx) => {
          try {
            parseConnectionsPerIpOverrides(text);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
          }
        }),
        smallRequestMaxBytes: bytes(0).default(MiB),
        /** Unset: an eighth of maxInflightBytes. */
        smallRequestReserveBytes: bytes(0).optional(),
        maxResponseBytes: bytes(1024).default(256 * MiB),
        smallResponseMaxBytes: bytes(0).default(MiB),
        /** Unset: an eighth of maxResponseBytes. */
        smallResponseReserveBytes: bytes(0).optional(),
      })
      .strict()
      .superRefine((k, ctx) => {
        if (k.smallRequestReserveBytes !== undefined && k.smallRequestReserveBytes > k.maxInflightBytes) {
          ctx.addIssue({ code: 'custom', path: ['smallRequestReserveBytes'], message: `must not exceed kafka.maxInflightBytes (${k.maxInflightBytes})` });
        }
        if (k.smallResponseReserveBytes !== undefined && k.smallResponseReserveBytes > k.maxResponseBytes) {
          ctx.addIssue({ code: 'custom', path: ['smallResponseReserveBytes'], message: `must not exceed kafka.maxResponseBytes (${k.maxResponseBytes})` });
        }
      })
      .prefault({}),
    http: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9644),
      })
      .strict()
      .prefault({}),
    objectStore: z
      .object({
        /** Defaults to file://<dataDir>/objects. */
        url: z.string().min(1).optional(),
        requestTimeout: duration.prefault('30s'),
        maxAttempts: z.number().int().min(1).max(100).default(5),
      })
      .strict()
      .prefault({}),
    topics: z
      .object({
        autoCreate: z.boolean().default(true),
        defaultPartitions: z.number().int().min(1).max(10_000).default(1),
        /**
         * Kafka's message.max.bytes: max.message.bytes of topics that do not set it. At most
         * the largest batch the storage holds (wal.segmentBytes and storage.pendingBytes bound it).
         */
        maxMessageBytes: z.number().int().min(0).max(2_147_483_647).default(1_048_588),
        /**
         * Most bytes one produced batch may decompress to while the broker checks its
         * records (as Kafka's log validator does); a larger one is MESSAGE_TOO_LARGE. Bounds
         * the memory a small compressed "bomb" can take.
         */
        maxDecompressedBatchBytes: bytes(MiB, 2 ** 31 - 1).default(64 * MiB),
      })
      .strict()
      .prefault({}),
    wal: z
      .object({
        segmentBytes: bytes(64 * 1024).default(64 * MiB),
        flushMaxBytes: bytes(4096).default(4 * MiB),
        flushMaxDelay: duration.prefault('0ms'),
        /** false: acknowledge once written to the OS, without fdatasync (see WalOptions.syncWrites). */
        syncWrites: z.boolean().default(true),
        capacityBytes: bytes(MiB).default(1024 * MiB),
        /**
         * What start-up does when WAL recovery finds damage (a bad record with intact ones
         * after it — not a torn tail): 'refuse' to start, naming the file and position, or
         * 'truncate': cut the log there, set the rest aside in wal/quarantine/ and continue
         * after the offsets it held (--recover=truncate).
         */
        recover: z.enum(['refuse', 'truncate']).default('refuse'),
      })
      .strict()
      .prefault({}),
    storage: z
      .object({
        pendingBytes: bytes(MiB).default(256 * MiB),
        tailBytes: bytes(0).default(128 * MiB),
        appendWait: duration.prefault('5s'),
        readAheadBytes: bytes(0, 256 * MiB).default(4 * MiB),
        /**
         * On SIGTERM, how long the broker keeps uploading what the WAL holds (the object
         * store may be down); what is left stays in the WAL for the next start.
         */
        shutdownFlushTimeout: duration.prefault('15s'),
      })
      .strict()
      .prefault({}),
    upload: z
      .object({
        maxBytes: bytes(64 * 1024).default(8 * MiB),
        maxDelay: duration.prefault('500ms'),
        urgentDelay: duration.prefault('20ms'),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        memoryBytes: bytes(0).default(256 * MiB),
        diskBytes: bytes(0).default(0),
        blockBytes: bytes(64 * 1024).default(MiB),
      })
      .strict()
      .prefault({}),
    fetch: z
      .object({
        maxBytes: bytes(1024).default(55 * MiB),
        maxWait: duration.prefault('30s'),
        /** A partition's read that takes longer (the object store is down or slow) is answered KAFKA_STORAGE_ERROR, which clients retry. */
        readTimeout: duration.prefault('10s'),
      })
      .strict()
      .prefault({}),
    groups: z
      .object({
        minSessionTimeout: duration.prefault('6s'),
        maxSessionTimeout: duration.prefault('30m'),
        /**
         * How long a new group waits for more members before its first rebalance. Unset:
         * 0 in `stratus dev` (as Kafka's own example configuration has it: a laptop group
         * joins at once); a cluster would use Kafka's broker default of 3s.
         */
        initialRebalanceDelay: duration.optional(),
        /**
         * Kafka's offsets.retention.minutes: committed offsets of a group without members
         * expire this long after it became empty (or after their commit, if later); a
         * Stable consumer group's offsets of topics it no longer subscribes to, this long
         * after their commit. At least 1m, as in Kafka.
         */
        offsetsRetention: duration.pipe(z.number().min(60_000, 'must be at least 1m')).prefault('7d'),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        checkInterval: duration.prefault('5m'),
        deleteGrace: duration.prefault('10m'),
        /** Whether objects written but never committed (orphans) are deleted, on checkInterval. */
        orphanSweep: z.boolean().default(true),
        /**
         * An object the index does not know is deleted once this old, by its name's time and
         * the store's; commits of objects older than half of it are refused (the broker writes
         * them again), so nothing the sweep may delete can still be committed. At least 10m.
         */
        orphanAge: duration.pipe(z.number().min(600_000, 'must be at least 10m').max(30 * DAY_MS, 'must be at most 30d')).prefault('1h'),
        /** Objects the sweep lists per run; the next run resumes where it stopped. */
        orphanListLimit: z.number().int().min(1).max(10_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * Object compaction: merges of small extents (many uploads' worth of a partition) into
     * one, packed into objects of targetObjectBytes, so the partition index keeps few
     * extents per partition however long the cluster runs.
     */
    compaction: z
      .object({
        enabled: z.boolean().default(true),
        /** Pause after a run that left nothing to do; with work left the next starts at once (paced by bytesPerSecond). */
        interval: duration.pipe(z.number().min(1).max(DAY_MS, 'must be at most 1d')).prefault('1m'),
        /** The size compaction fills its objects to, with merges of many partitions. */
        targetObjectBytes: bytes(1024, 2 ** 40).default(64 * MiB),
        /**
         * Largest merged extent (a topic's segment.bytes may lower it; at most
         * targetObjectBytes): a fetch reads a whole extent, so this bounds what one costs.
         */
        maxExtentBytes: bytes(1024, 2 ** 32 - 1).default(8 * MiB),
        /** Extents at least this long are left as they are (at most maxExtentBytes). */
        smallExtentBytes: bytes(1).default(4 * MiB),
        /** Extents committed less recently are left alone: tailing readers hold them in their caches. */
        minAge: duration.pipe(z.number().max(30 * DAY_MS, 'must be at most 30d')).prefault('1m'),
        /** Source bytes one run merges, held in memory while it runs (at least targetObjectBytes). */
        maxBytesPerRun: bytes(1024).default(128 * MiB),
        maxMergesPerRun: z.number().int().min(1).max(1_000_000).default(1000),
        maxExtentsPerMerge: z.number().int().min(2).max(100_000).default(1000),
        /** Bytes read plus written per second, at most. */
        bytesPerSecond: bytes(1024).default(32 * MiB),
        /** Failed attempts of one merge (object-store errors) before it is set aside for setAside. */
        maxAttempts: z.number().int().min(1).max(100).default(3),
        setAside: duration.pipe(z.number().max(30 * DAY_MS, 'must be at most 30d')).prefault('1h'),
        /** GETs, and objects being written, at a time. */
        concurrency: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .superRefine((c, ctx) => {
        if (c.maxExtentBytes > c.targetObjectBytes) ctx.addIssue({ code: 'custom', path: ['maxExtentBytes'], message: `must be at most compaction.targetObjectBytes (${c.targetObjectBytes})` });
        if (c.smallExtentBytes > c.maxExtentBytes) ctx.addIssue({ code: 'custom', path: ['smallExtentBytes'], message: `must be at most compaction.maxExtentBytes (${c.maxExtentBytes})` });
        if (c.maxBytesPerRun < c.targetObjectBytes) ctx.addIssue({ code: 'custom', path: ['maxBytesPerRun'], message: `must be at least compaction.targetObjectBytes (${c.targetObjectBytes})` });
      })
      .prefault({}),
    /**
     * Count limits. Reaching one refuses what would go beyond it with a specific Kafka
     * error (config/dev.yaml names each), never UNKNOWN_SERVER_ERROR.
     */
    limits: z
      .object({
        /** Topics in the cluster (CreateTopics and auto-creation: POLICY_VIOLATION). */
        maxTopics: z.number().int().min(1).max(10_000_000).default(10_000),
        /** Partitions of all topics together (CreateTopics, CreatePartitions: INVALID_PARTITIONS). */
        maxPartitions: z.number().int().min(1).max(10_000_000).default(100_000),
        /** Partitions of one topic (INVALID_PARTITIONS); topics.defaultPartitions must fit. */
        maxPartitionsPerTopic: z.number().int().min(1).max(1_000_000).default(10_000),
        /** Groups the coordinator holds, Empty ones evicted first (JoinGroup: GROUP_MAX_SIZE_REACHED). */
        maxGroups: z.number().int().min(1).max(10_000_000).default(10_000),
        /** Kafka's group.max.size: members of one group (JoinGroup: GROUP_MAX_SIZE_REACHED). */
        maxGroupSize: z.number().int().min(1).max(1_000_000).default(1_000),
        /** Committed offsets of all groups together (OffsetCommit: INVALID_COMMIT_OFFSET_SIZE). */
        maxCommittedOffsets: z.number().int().min(1).max(100_000_000).default(1_000_000),
        /** Idempotent producers a led partition remembers; beyond, the least recently written is forgotten (no error). */
        maxProducersPerPartition: z.number().int().min(1).max(1_000_000).default(10_000),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
        pretty: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type StratusConfig = z.output<typeof configSchema>;
export type StratusConfigInput = z.input<typeof configSchema>;
