// Prometheus metrics of a stratus process, read from the counters the components keep
// anyway (object-store requests, connections, storage budgets) at scrape time, so the
// hot paths pay nothing for being observable.
//
// What a long run must show stays flat (test/soak samples it): the process (prom-client's
// defaults: process_resident_memory_bytes, nodejs_heap_size_used_bytes, process_open_fds;
// and the heap right after the latest major GC, which unlike the heap used is no sawtooth),
// the WAL's untrimmed bytes and segments, the controller's state (topics, partitions,
// objects live and unreferenced, committed offsets, groups; extents in stratus_index_extents),
// its metadata journal and snapshots, and what the broker holds in memory (coordinator
// groups, open partitions). Each is one helper below, read only when scraped.

import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metric } from 'prom-client';
import type { ObjectStoreMetrics } from '@stratus/objectstore';
import { OBJECT_STORE_OPERATIONS } from '@stratus/objectstore';
import type { BlockCacheStats, StorageEngine } from '@stratus/storage';
import type { ClusterStats, ControllerStats, ObjectMaintenanceStats } from '@stratus/controller';
import type { WalFlush, WalStats } from '@stratus/wal';
import { clusterMetrics } from './metrics/cluster-metrics.ts';
import { costMetrics } from './metrics/cost-metrics.ts';
import { labelledGauge, readGauge } from './metrics/gauges.ts';
import { groupLagMetrics } from './metrics/group-lag.ts';
import type { GroupLagSources } from './metrics/group-lag.ts';
import { DEFAULT_METRICS_LIMITS, S3_STANDARD_PRICES } from './metrics/limits.ts';
import type { MetricsLimits, ObjectStorePrices } from './metrics/limits.ts';
import { objectStoreLatencyMetric } from './metrics/object-store-latency.ts';
import type { TrafficTotals } from './metrics/request-metrics.ts';

/** What the metrics read from the Kafka listener (KafkaServerStats has these and more). */
export interface ServerStats {
  readonly connectionsOpen: number;
  readonly connectionsOpenByListener: Readonly<Record<string, number>>;
  readonly connectionsRefused: number;
  readonly connectionsRefusedPerIp: number;
  readonly connectionsIdleClosed: number;
  readonly connectionsReceiveTimedOut: number;
  readonly connectionsResponseStalled: number;
  readonly tlsHandshakeFailures: number;
  readonly tlsHandshakeTimeouts: number;
  readonly tlsOnPlaintext: number;
  readonly inFlightBytes: number;
  readonly inFlightWaiting: number;
  readonly responseBytes: number;
  readonly responseWaiting: number;
}

export interface MetricSources {
  readonly objectStore: ObjectStoreMetrics;
  /** Metrics made before the registry (the WAL's, which opens first). */
  readonly early?: readonly Metric[];
  /** Absent in a process without storage (the controller): its gauges are not registered. */
  readonly storage?: () => StorageEngine | undefined;
  readonly blockCache?: () => BlockCacheStats | undefined;
  /** Absent in a process without a Kafka listener (the controller). */
  readonly server?: () => ServerStats | undefined;
  /** The controller's compaction, orphan sweep and index size. */
  readonly maintenance?: () => ObjectMaintenanceStats | undefined;
  /** The data WAL: bytes and segments not yet trimmed (what is not uploaded and committed, in whole segments). */
  readonly wal?: () => WalStats | undefined;
  /** The controller's state sizes and snapshots (Controller.stats()). */
  readonly controller?: () => ControllerStats | undefined;
  /** The metadata journal's own WAL on disk (trimmed after each snapshot). */
  readonly journal?: () => WalStats | undefined;
  /** What the broker holds in memory. */
  readonly broker?: () => BrokerStateStats | undefined;
  /** Partitions this broker leads (by the metadata it follows). */
  readonly partitionsLed?: () => number | undefined;
  /** Upload entries not yet committed (queued, and in the objects being uploaded). */
  readonly uploadQueue?: () => { readonly entries: number; readonly bytes: number } | undefined;
  /** The active controller's view of the brokers and moves (Controller.clusterStats()). */
  readonly cluster?: () => ClusterStats | undefined;
  /** Bytes produced and fetched (requestMetrics' totals): with them, the cost gauges are registered. */
  readonly traffic?: TrafficTotals;
  /** What consumer-group lag is computed from: the broker's coordinator and partitions. */
  readonly lag?: () => GroupLagSources | undefined;
  /** Label limits (metrics config section; defaults DEFAULT_METRICS_LIMITS). */
  readonly limits?: MetricsLimits;
  /** Prices for the cost gauges (default: S3 Standard list prices). */
  readonly prices?: ObjectStorePrices;
}

/** What the broker holds in memory, besides connections (which ServerStats has). */
export interface BrokerStateStats {
  /** Groups the coordinator holds (Empty ones included, until evicted or deleted). */
  readonly groups: number;
  /** Partitions the broker has open (its partition manager). */
  readonly openPartitions: number;
  /** Partition logs the storage engine has open (should equal openPartitions). */
  readonly storageLogs: number;
  /** Partitions other brokers lead, open here for follower fetching (KIP-392); absent in dev. */
  readonly replicaPartitions?: number;
}

export function createMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  heapAfterGcMetrics(registry);
  for (const m of sources.early ?? []) registry.registerMetric(m);
  new Gauge({
    name: 'stratus_object_store_requests',
    help: 'Object-store requests since start, by operation and outcome (PUTs and GETs are what the store bills)',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
    collect() {
      const snap = sources.objectStore.snapshot();
      this.reset();
      for (const op of OBJECT_STORE_OPERATIONS) {
        for (const [outcome, n] of Object.entries(snap.requests[op])) this.set({ operation: op, outcome }, n ?? 0);
      }
    },
  });
  new Gauge({
    name: 'stratus_object_store_bytes',
    help: 'Bytes written to and read from the object store since start',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const snap = sources.objectStore.snapshot();
      this.set({ direction: 'written' }, snap.bytesWritten);
      this.set({ direction: 'read' }, snap.bytesRead);
    },
  });
  registry.registerMetric(objectStoreLatencyMetric(sources.objectStore));
  const storage = sources.storage;
  if (storage !== undefined) {
    new Gauge({
      name: 'stratus_storage_pending_bytes',
      help: 'Bytes appended but not yet uploaded and committed',
      registers: [registry],
      collect() {
        this.set(storage()?.pending.usedBytes ?? 0);
      },
    });
  }
  const uploadQueue = sources.uploadQueue;
  if (uploadQueue !== undefined) {
    labelledGauge(registry, 'stratus_upload_queue', 'Batches waiting for upload and commit (entries: queued and in objects being uploaded; bytes: queued only)', 'what', () => {
      const q = uploadQueue();
      return q === undefined ? undefined : { entries: q.entries, bytes: q.bytes };
    });
  }
  const partitionsLed = sources.partitionsLed;
  if (partitionsLed !== undefined) readGauge(registry, 'stratus_partitions_led', 'Partitions this broker leads, by the metadata it follows', partitionsLed);
  const cache = (pick: (s: BlockCacheStats) => Record<string, number>) => () => {
    const stats = sources.blockCache?.();
    return stats === undefined ? undefined : pick(stats);
  };
  labelledGauge(
    registry,
    'stratus_block_cache_blocks',
    'Block-cache block lookups since start, by outcome: memory or disk hit, joined a load in flight, or miss (a GET)',
    'outcome',
    cache((s) => ({ memory_hit: s.memoryHits, disk_hit: s.diskHits, joined: s.joinedLoads, miss: s.misses })),
  );
  labelledGauge(
    registry,
    'stratus_block_cache_read_ahead',
    'Read-ahead since start: GETs issued, blocks requested, and requests dropped because enough read-ahead GETs were pending',
    'what',
    cache((s) => ({ gets: s.prefetchGets, blocks: s.prefetchedBlocks, dropped: s.prefetchesDropped, failed: s.prefetchFailures })),
  );
  labelledGauge(registry, 'stratus_block_cache_used_bytes', 'Bytes held by the block cache, by tier', 'tier', cache((s) => ({ memory: s.memoryUsedBytes, disk: s.diskUsedBytes })));
  labelledGauge(
    registry,
    'stratus_block_cache_hit_ratio',
    'Share of block lookups since start served by each tier: memory, disk, or object_store (a GET, or joining one in flight); absent before the first lookup',
    'tier',
    cache((s) => {
      const total = s.memoryHits + s.diskHits + s.joinedLoads + s.misses;
      return total === 0 ? {} : { memory: s.memoryHits / total, disk: s.diskHits / total, object_store: (s.joinedLoads + s.misses) / total };
    }),
  );
  const maintenance = <T extends Record<string, number>>(pick: (s: ObjectMaintenanceStats) => T) => () => {
    const stats = sources.maintenance?.();
    return stats === undefined ? undefined : pick(stats);
  };
  labelledGauge(
    registry,
    'stratus_compaction',
    'Object compaction since start: runs, merges swapped in, extents they replaced, objects written, bytes read and written, merges refused (the index changed meanwhile), failed merges, objects deleted because every merge in them was refused (and those left to the orphan sweep), extents set aside now',
    'what',
    maintenance((s) => ({
      runs: s.compaction.runs,
      merges: s.compaction.merges,
      extents_replaced: s.compaction.extentsReplaced,
      objects_written: s.compaction.objectsWritten,
      bytes_read: s.compaction.bytesRead,
      bytes_written: s.compaction.bytesWritten,
      refused: s.compaction.refused,
      failures: s.compaction.failures,
      discarded: s.compaction.discarded,
      discard_failures: s.compaction.discardFailures,
      set_aside: s.compaction.setAside,
    })),
  );
  labelledGauge(
    registry,
    'stratus_orphan_sweep',
    'Orphan sweep since start: runs, objects listed, orphans (written, never committed) deleted and their bytes',
    'what',
    maintenance((s) => ({ runs: s.orphans.runs, listed: s.orphans.listed, deleted: s.orphans.orphansDeleted, deleted_bytes: s.orphans.orphanBytesDeleted })),
  );
  labelledGauge(
    registry,
    'stratus_index_extents',
    'Extents in the partition index: all partitions together, and the most any partition has',
    'what',
    maintenance((s) => ({ total: s.index.extents, max_per_partition: s.index.maxExtentsPerPartition })),
  );
  const serverStats = sources.server;
  if (serverStats !== undefined) kafkaMetrics(registry, serverStats);
  walMetrics(registry, sources.wal);
  controllerMetrics(registry, sources.controller, sources.journal);
  if (sources.cluster !== undefined) clusterMetrics(registry, sources.cluster, sources.controller);
  brokerStateMetrics(registry, sources.broker);
  const limits = sources.limits ?? DEFAULT_METRICS_LIMITS;
  const prices = sources.prices ?? S3_STANDARD_PRICES;
  if (sources.lag !== undefined) groupLagMetrics(registry, sources.lag, limits);
  if (sources.traffic !== undefined) costMetrics(registry, sources.objectStore, sources.traffic, prices);
  if (sources.controller !== undefined) {
    const controller = sources.controller;
    readGauge(registry, 'stratus_cost_storage_dollars_per_month', 'What the objects the index knows would cost stored for a month at metrics.prices.storagePerGbMonth (GB = 2^30 bytes, as S3 bills)', () => {
      const s = controller();
      return s === undefined ? undefined : (s.objectBytes / 1024 ** 3) * prices.storagePerGbMonth;
    });
  }
  return registry;
}

/** The Kafka listener: connections, closes by reason, the shared budgets. */
function kafkaMetrics(registry: Registry, serverStats: () => ServerStats | undefined): void {
  new Gauge({
    name: 'stratus_kafka_connections',
    help: 'Open Kafka client connections',
    registers: [registry],
    collect() {
      this.set(serverStats()?.connectionsOpen ?? 0);
    },
  });
  const server = (pick: (s: ServerStats) => Record<string, number>) => () => {
    const stats = serverStats();
    return stats === undefined ? undefined : pick(stats);
  };
  labelledGauge(registry, 'stratus_kafka_listener_connections', 'Open Kafka client connections by the listener they came through (kafka.listeners)', 'listener', server((s) => ({ ...s.connectionsOpenByListener })));
  labelledGauge(
    registry,
    'stratus_kafka_connections_closed',
    'Kafka connections the broker closed since start, by reason: refused (maxConnections, or shutting down), refused_per_ip (maxConnectionsPerIp), idle, receive_timeout (a request body too slow), response_stall (the client stopped reading), tls_handshake_failed (an SSL listener: not TLS, a refused client certificate, no principal mapping rule), tls_handshake_timeout (kafka.ssl.handshakeTimeout), tls_on_plaintext (a TLS client on a plaintext listener)',
    'reason',
    server((s) => ({
      refused: s.connectionsRefused,
      refused_per_ip: s.connectionsRefusedPerIp,
      idle: s.connectionsIdleClosed,
      receive_timeout: s.connectionsReceiveTimedOut,
      response_stall: s.connectionsResponseStalled,
      tls_handshake_failed: s.tlsHandshakeFailures,
      tls_handshake_timeout: s.tlsHandshakeTimeouts,
      tls_on_plaintext: s.tlsOnPlaintext,
    })),
  );
  labelledGauge(
    registry,
    'stratus_kafka_budget_used_bytes',
    'Bytes held of the shared Kafka listener budgets: request (in flight, from size prefix to answer) and response (reserved by a Fetch, or written and not yet taken by the kernel)',
    'budget',
    server((s) => ({ request: s.inFlightBytes, response: s.responseBytes })),
  );
  labelledGauge(
    registry,
    'stratus_kafka_budget_waiting',
    'Waiting for a shared Kafka listener budget: connections (request budget) and requests (response budget)',
    'budget',
    server((s) => ({ request: s.inFlightWaiting, response: s.responseWaiting })),
  );
}

/** Heap used right after the latest major GC, and major GCs seen (one process-wide observer). */
const majorGc = { heapUsedBytes: undefined as number | undefined, count: 0, observer: undefined as PerformanceObserver | undefined };

/**
 * The V8 heap used right after the latest major (mark-compact) GC: the objects that are
 * live, without the garbage that makes nodejs_heap_size_used_bytes a sawtooth between 30
 * and 80 MiB — what shows whether something is retained for good. Read by a GC observer:
 * one heap-statistics call per major GC, nothing per request.
 */
function heapAfterGcMetrics(registry: Registry): void {
  if (majorGc.observer === undefined) {
    majorGc.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind !== perfConstants.NODE_PERFORMANCE_GC_MAJOR) continue;
        majorGc.heapUsedBytes = getHeapStatistics().used_heap_size;
        majorGc.count++;
      }
    });
    majorGc.observer.observe({ entryTypes: ['gc'] });
  }
  readGauge(registry, 'stratus_heap_after_major_gc_bytes', 'V8 heap used right after the latest major (mark-compact) GC: the live objects (0 until the first one)', () => majorGc.heapUsedBytes);
  readGauge(registry, 'stratus_major_gcs', 'Major (mark-compact) GCs since start', () => majorGc.count);
}

/** The data WAL: what is held until uploads are committed and the WAL trimmed; grows only while uploads fall behind. */
function walMetrics(registry: Registry, wal: (() => WalStats | undefined) | undefined): void {
  if (wal === undefined) return;
  readGauge(registry, 'stratus_wal_untrimmed_bytes', 'Bytes of WAL segments not yet trimmed (whole segments: the active one counts in full once written)', () => wal()?.untrimmedBytes);
  readGauge(registry, 'stratus_wal_segments', 'WAL segment files not yet trimmed', () => wal()?.segments);
  labelledGauge(
    registry,
    'stratus_wal_backlog',
    'Appends not yet durable: queued for the next group commit (appends, bytes), and waiting for room in wal.capacityBytes (waiting: the WAL is full until uploads let it trim)',
    'what',
    () => {
      const s = wal();
      return s === undefined ? undefined : { appends: s.queuedAppends ?? 0, bytes: s.queuedBytes ?? 0, waiting: s.waitingAppends ?? 0 };
    },
  );
}

/** The controller's state (what its snapshots and memory grow with) and its metadata journal. */
function controllerMetrics(registry: Registry, controller: (() => ControllerStats | undefined) | undefined, journal: (() => WalStats | undefined) | undefined): void {
  if (controller !== undefined) {
    labelledGauge(
      registry,
      'stratus_controller_state',
      'What the controller holds: topics, partitions, objects extents point at (live) and objects none does (scheduled for deletion), the bytes of both, committed offsets, groups (with offsets or members)',
      'what',
      () => {
        const s = controller();
        return s === undefined
          ? undefined
          : {
              topics: s.topics,
              partitions: s.partitions,
              objects_live: s.liveObjects,
              objects_unreferenced: s.unreferencedObjects,
              object_bytes: s.objectBytes,
              committed_offsets: s.committedOffsets,
              groups: s.groups,
            };
      },
    );
    labelledGauge(registry, 'stratus_controller_snapshots', 'Controller snapshots since start: written, and attempts that failed', 'outcome', () => {
      const s = controller();
      return s === undefined ? undefined : { written: s.snapshots, failed: s.snapshotFailures };
    });
    readGauge(registry, 'stratus_controller_journal_bytes', 'Metadata journal bytes appended since the last snapshot (a snapshot is due at 16 MiB)', () => controller()?.journalBytes);
  }
  if (journal !== undefined) {
    readGauge(registry, 'stratus_controller_journal_untrimmed_bytes', "Bytes of the metadata journal's WAL segments on disk (trimmed after each snapshot)", () => journal()?.untrimmedBytes);
    readGauge(registry, 'stratus_controller_journal_segments', "The metadata journal's WAL segment files on disk", () => journal()?.segments);
  }
}

/** What the broker holds in memory: coordinator groups and open partitions. */
function brokerStateMetrics(registry: Registry, broker: (() => BrokerStateStats | undefined) | undefined): void {
  if (broker === undefined) return;
  labelledGauge(
    registry,
    'stratus_broker_state',
    "What the broker holds in memory: groups its coordinator holds (Empty ones too), partitions it has open, the storage engine's open partition logs, and (in a cluster) partitions other brokers lead that it serves to consumers of its rack",
    'what',
    () => {
      const s = broker();
      if (s === undefined) return undefined;
      return { groups: s.groups, open_partitions: s.openPartitions, storage_logs: s.storageLogs, ...(s.replicaPartitions !== undefined ? { replica_partitions: s.replicaPartitions } : {}) };
    },
  );
}

/**
 * The WAL's group commits: how long each writev and fdatasync took (the floor under every
 * local-durability acknowledgement), how many appends each carried, and how long its
 * oldest append waited until durable, and the bytes written. Observed per flush, not per
 * append, so the cost is three histogram updates and a counter addition per group commit.
 */
export function walFlushMetrics(): { readonly observe: (flush: WalFlush) => void; readonly metrics: readonly Metric[] } {
  const seconds = new Histogram({
    name: 'stratus_wal_flush_seconds',
    help: 'Duration of each WAL group commit, by phase: the writev, and the fdatasync (absent when wal.syncWrites=false)',
    labelNames: ['phase'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [],
  });
  const appendSeconds = new Histogram({
    name: 'stratus_wal_append_seconds',
    help: 'WAL append latency, one sample per group commit: from its oldest append being queued to the group being durable (queueing, gathering, writev, fdatasync), the upper bound of its appends',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [],
  });
  const appends = new Histogram({
    name: 'stratus_wal_flush_appends',
    help: 'Appends (partition batches) carried by each WAL group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [],
  });
  const written = new Counter({ name: 'stratus_wal_written_bytes_total', help: 'Bytes written to the WAL (framed appends), one addition per group commit', registers: [] });
  const write = seconds.labels('write');
  const sync = seconds.labels('sync');
  return {
    observe: (flush) => {
      write.observe(flush.writeMs / 1000);
      if (flush.syncMs > 0) sync.observe(flush.syncMs / 1000);
      appends.observe(flush.appends);
      appendSeconds.observe(flush.oldestAppendMs / 1000);
      written.inc(flush.bytes);
    },
    metrics: [seconds, appends, appendSeconds, written],
  };
}
