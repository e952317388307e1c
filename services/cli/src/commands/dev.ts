// `stratus dev`: an embedded single-node cluster in one process — the controller with its
// metadata journal, the storage engine (WAL, uploader, block cache) over a file:// (or
// any) object store, one broker, and the HTTP port. Everything lives under the data
// directory, so stopping and starting again keeps topics, data and committed offsets.
// SIGTERM / SIGINT shut down gracefully: stop accepting, finish requests, upload and
// commit the WAL, close the journal — then the process exits (at the latest 2 s later,
// naming anything that still held it). A second signal exits at once.

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Broker } from '@stratus/broker';
import { Controller, FileJournalStore } from '@stratus/controller';
import { ObjectStoreMetrics, openObjectStore, withMetrics, withRetry, withTimeout } from '@stratus/objectstore';
import { systemClock, systemRandom } from '@stratus/runtime';
import { BlockCache, maxBatchBytes, rejectedBatchFiles, StorageEngine } from '@stratus/storage';
import { nodeFileSystem, openWal, readQuarantine, WalCorruptionError } from '@stratus/wal';
import type { StratusConfig } from '../config/schema.ts';
import { startHttp } from '../http.ts';
import { createLogger } from '../logger.ts';
import { createMetrics, walFlushMetrics } from '../metrics.ts';
import { banner } from './banner.ts';

/** groups.initialRebalanceDelay when unset: a single-node dev cluster has no reason to wait (see the schema). */
const DEV_INITIAL_REBALANCE_DELAY_MS = 0;

export async function runDev(config: StratusConfig): Promise<number> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty || process.stdout.isTTY === true, name: 'stratus' });
  const dataDir = resolve(config.dataDir);
  for (const dir of ['wal', 'metadata', 'cache', 'objects']) mkdirSync(join(dataDir, dir), { recursive: true });
  const clock = systemClock;
  const random = systemRandom;
  const objectStoreUrl = config.objectStore.url ?? `file://${join(dataDir, 'objects')}`;
  const onError = (error: unknown, context: string): void => log.warn({ err: error, context }, `storage: ${context}`);

  const objectStoreMetrics = new ObjectStoreMetrics();
  const rawStore = await openObjectStore(objectStoreUrl, { cwd: process.cwd() });
  const store = withRetry(withTimeout(withMetrics(rawStore, objectStoreMetrics), { timeoutMs: config.objectStore.requestTimeout }), {
    maxAttempts: config.objectStore.maxAttempts,
    onRetry: (e) => log.debug({ retry: e }, 'object store: retrying'),
  });

  const walFlush = walFlushMetrics();
  const walDir = join(dataDir, 'wal');
  let opened;
  try {
    opened = await openWal({
      dir: walDir,
      segmentBytes: config.wal.segmentBytes,
      flushMaxBytes: config.wal.flushMaxBytes,
      flushMaxDelayMs: config.wal.flushMaxDelay,
      syncWrites: config.wal.syncWrites,
      onFlush: walFlush.observe,
      capacityBytes: config.wal.capacityBytes,
      onDamage: config.wal.recover,
    });
  } catch (e) {
    if (!(e instanceof WalCorruptionError)) throw e;
    // Not a crash's torn tail: acknowledged data may sit after the damage. An operator decides.
    log.fatal(e.message);
    return 3;
  }
  const { wal, recovery: walRecovery } = opened;
  if (walRecovery.quarantine !== undefined) log.error({ walRecovery }, `WAL: cut at damage; the records after it are in ${walRecovery.quarantine.dir}`);
  else if (walRecovery.truncatedBytes > 0) log.warn({ walRecovery }, 'WAL: a torn tail was cut during recovery');
  // The largest batch the storage holds bounds message.max.bytes and every max.message.bytes.
  const storageMaxBatchBytes = maxBatchBytes({ walMaxRecordBytes: wal.maxRecordBytes, pendingBytes: config.storage.pendingBytes });
  if (config.topics.maxMessageBytes > storageMaxBatchBytes) {
    log.error(
      `topics.maxMessageBytes (message.max.bytes) ${config.topics.maxMessageBytes} exceeds ${storageMaxBatchBytes}, the largest record batch this broker's storage holds: lower it, or raise wal.segmentBytes and storage.pendingBytes`,
    );
    await wal.close();
    return 2;
  }

  // A fatal storage failure (the WAL cannot write): not ready, not live, one log line with
  // the cause, then a shutdown that exits non-zero so that a supervisor restarts the
  // process, which recovers the WAL. Set before anything can fail.
  let fatal: Error | undefined;
  let stopForFatal: (() => void) | undefined;
  const fatalIn =
    (component: string, recovery: string) =>
    (error: Error): void => {
      if (fatal !== undefined) return;
      fatal = error;
      process.exitCode = 1;
      log.fatal({ err: error }, `fatal: the ${component} failed, stopping (${recovery}): ${error.message}`);
      stopForFatal?.();
    };
  const onFatal = fatalIn('write-ahead log', 'a restart recovers the WAL');

  const journal = await FileJournalStore.open({ dir: join(dataDir, 'metadata') });
  const controller = await Controller.open({
    store: journal,
    objectStore: store,
    clock,
    random,
    onBackgroundError: (error, context) => log.warn({ err: error, context }, `controller: ${context} failed`),
    onFatal: fatalIn('metadata journal', 'a restart reloads what is durable'),
    retentionCheckIntervalMs: config.retention.checkInterval,
    objectDeleteGraceMs: config.retention.deleteGrace,
    // The uploader names objects under the cluster name: compaction writes there too, and
    // the orphan sweep deletes nothing else.
    objectKeyPrefix: config.clusterName,
    orphanSweep: { enabled: config.retention.orphanSweep, orphanAgeMs: config.retention.orphanAge, maxListedPerRun: config.retention.orphanListLimit },
    compaction: {
      enabled: config.compaction.enabled,
      intervalMs: config.compaction.interval,
      targetObjectBytes: config.compaction.targetObjectBytes,
      maxExtentBytes: config.compaction.maxExtentBytes,
      smallExtentBytes: config.compaction.smallExtentBytes,
      minAgeMs: config.compaction.minAge,
      maxBytesPerRun: config.compaction.maxBytesPerRun,
      maxMergesPerRun: config.compaction.maxMergesPerRun,
      maxExtentsPerMerge: config.compaction.maxExtentsPerMerge,
      bytesPerSecond: config.compaction.bytesPerSecond,
      maxAttempts: config.compaction.maxAttempts,
      setAsideMs: config.compaction.setAside,
      concurrency: config.compaction.concurrency,
    },
    offsetsRetentionMs: config.groups.offsetsRetention,
    maxTopics: config.limits.maxTopics,
    maxPartitions: config.limits.maxPartitions,
    maxPartitionsPerTopic: config.limits.maxPartitionsPerTopic,
    maxCommittedOffsets: config.limits.maxCommittedOffsets,
    maxBatchBytes: storageMaxBatchBytes,
    brokerConfigs: {
      'num.partitions': String(config.topics.defaultPartitions),
      'auto.create.topics.enable': String(config.topics.autoCreate),
      'message.max.bytes': String(config.topics.maxMessageBytes),
    },
  });

  controller.start(); // retention, offset expiry, deletion of unreferenced objects and orphans, object compaction

  const cache = new BlockCache({
    store,
    blockBytes: config.cache.blockBytes,
    memoryBytes: config.cache.memoryBytes,
    diskBytes: config.cache.diskBytes,
    ...(config.cache.diskBytes > 0 ? { diskDir: join(dataDir, 'cache') } : {}),
    onError: (error, context) => log.warn({ err: error, context }, 'block cache'),
  });
  const storage = await StorageEngine.open({
    wal,
    store,
    index: controller,
    reader: cache,
    clock,
    random,
    nodeId: config.node.id,
    keyPrefix: config.clusterName,
    pendingBytes: config.storage.pendingBytes,
    tailBytes: config.storage.tailBytes,
    appendWaitMs: config.storage.appendWait,
    readAheadBytes: config.storage.readAheadBytes,
    upload: { maxObjectBytes: config.upload.maxBytes, maxDelayMs: config.upload.maxDelay, urgentDelayMs: config.upload.urgentDelay },
    onError,
    onFatal,
    // Acknowledged batches no object will hold (their commit was rejected) are kept here before the WAL lets them go.
    keepRejected: rejectedBatchFiles(nodeFileSystem, join(dataDir, 'rejected')),
    // Offsets held by records an earlier recovery set aside are never handed out again.
    setAside: readQuarantine(nodeFileSystem, walDir),
  });
  if (storage.recovery.requeuedEntries > 0) log.info({ recovery: storage.recovery }, 'WAL recovered: re-uploading data that was durable but not yet in objects');

  const advertisedHost = config.kafka.advertisedHost ?? config.kafka.host;
  let broker: Broker;
  try {
    broker = await Broker.start({
      config: {
        nodeId: config.node.id,
        advertisedHost,
        advertisedPort: config.kafka.advertisedPort ?? config.kafka.port,
        rack: config.kafka.rack,
        autoCreateTopics: config.topics.autoCreate,
        defaultPartitions: config.topics.defaultPartitions,
        fetchMaxBytes: config.fetch.maxBytes,
        fetchMaxWaitMs: config.fetch.maxWait,
        fetchReadTimeoutMs: config.fetch.readTimeout,
        groupMinSessionTimeoutMs: config.groups.minSessionTimeout,
        groupMaxSessionTimeoutMs: config.groups.maxSessionTimeout,
        groupInitialRebalanceDelayMs: config.groups.initialRebalanceDelay ?? DEV_INITIAL_REBALANCE_DELAY_MS,
        offsetsRetentionMs: config.groups.offsetsRetention,
        // Empty groups whose offsets are gone are forgotten on the cadence offsets expire on.
        groupCleanupIntervalMs: config.retention.checkInterval,
        groupMaxGroups: config.limits.maxGroups,
        groupMaxSize: config.limits.maxGroupSize,
        maxProducersPerPartition: config.limits.maxProducersPerPartition,
        messageMaxBytes: config.topics.maxMessageBytes,
        maxDecompressedBatchBytes: config.topics.maxDecompressedBatchBytes,
      },
      controller,
      storage,
      clock,
      network: {
        host: config.kafka.host,
        port: config.kafka.port,
        socketRequestMaxBytes: config.kafka.socketRequestMaxBytes,
        maxConnections: config.kafka.maxConnections,
        maxInFlightRequestsPerConnection: config.kafka.connectionMaxInflightRequests,
        maxInFlightBytesPerConnection: config.kafka.connectionMaxInflightBytes,
        maxInFlightBytesTotal: config.kafka.maxInflightBytes,
        connectionsMaxIdleMs: config.kafka.connectionsMaxIdle,
        requestReceiveTimeoutMs: config.kafka.requestReceiveTimeout,
        responseStallTimeoutMs: config.kafka.responseStallTimeout,
        maxConnectionsPerIp: config.kafka.maxConnectionsPerIp,
        maxConnectionsPerIpOverrides: config.kafka.maxConnectionsPerIpOverrides,
        smallRequestMaxBytes: config.kafka.smallRequestMaxBytes,
        ...(config.kafka.smallRequestReserveBytes === undefined ? {} : { smallRequestReserveBytes: config.kafka.smallRequestReserveBytes }),
        maxResponseBytesTotal: config.kafka.maxResponseBytes,
        smallResponseMaxBytes: config.kafka.smallResponseMaxBytes,
        ...(config.kafka.smallResponseReserveBytes === undefined ? {} : { smallResponseReserveBytes: config.kafka.smallResponseReserveBytes }),
      },
      onProblem: (problem, header, error) => log.warn({ err: error, clientId: header?.clientId, apiKey: header?.apiKey, apiVersion: header?.apiVersion }, problem),
      onGroupEvent: (group, message) => log.info({ group }, `group ${group}: ${message}`),
      onTrailingBytes: (header, trailingBytes, conn) =>
        log.debug({ clientId: header.clientId, apiKey: header.apiKey, apiVersion: header.apiVersion, trailingBytes, remote: conn.remoteAddress }, 'ignoring bytes after a request body (as Kafka does)'),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      log.error(`Kafka port ${config.kafka.host}:${config.kafka.port} is already in use: stop the other process or pass --kafka-port`);
      await storage.close({ flush: true });
      await controller.close();
      return 1;
    }
    throw e;
  }

  let ready = true;
  const metrics = createMetrics({
    objectStore: objectStoreMetrics,
    early: walFlush.metrics,
    storage: () => storage,
    blockCache: () => cache.stats(),
    server: () => broker.stats(),
    maintenance: () => controller.maintenanceStats(),
    wal: () => wal.stats(),
    controller: () => controller.stats(),
    journal: () => journal.journalStats(),
    broker: () => ({ groups: broker.coordinator.groupCount, openPartitions: broker.partitions.openCount, storageLogs: storage.openPartitions }),
  });
  let http;
  try {
    http = await startHttp(config.http.host, config.http.port, {
      // Not ready while shutting down, after a fatal error, or while the WAL takes no writes.
      notReady: () => (fatal !== undefined ? `fatal error: ${fatal.message}` : !ready ? 'shutting down' : storage.writeProblem()),
      live: () => (fatal === undefined ? undefined : `fatal error: ${fatal.message}`),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
    });
  } catch (e) {
    log.error(`HTTP port ${config.http.host}:${config.http.port} is not available (${(e as Error).message}): pass --http-port`);
    await broker.close({ drainTimeoutMs: 0 });
    await controller.close();
    return 1;
  }
  process.stdout.write(
    banner({ bootstrap: `${advertisedHost}:${broker.port}`, httpUrl: `http://${config.http.host}:${http.port}`, dataDir, objectStoreUrl, topics: controller.metadata().topics.length }),
  );
  log.info({ kafka: broker.port, http: http.port, dataDir, objectStore: objectStoreUrl }, 'stratus dev is ready');

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        if (signal === 'fatal error') return;
        log.warn(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      ready = false;
      log.info(fatal === undefined ? `${signal}: shutting down (finishing requests, uploading the WAL)` : 'shutting down after a fatal error (the WAL keeps what was acknowledged)');
      void (async () => {
        try {
          await broker.close({ drainTimeoutMs: config.kafka.shutdownDrain, flushTimeoutMs: config.storage.shutdownFlushTimeout });
          await cache.close();
          await controller.close();
          await store.close();
          http.server.close();
          log.info(fatal === undefined ? 'stopped cleanly' : 'stopped after a fatal error');
          // Whatever still holds the event loop now is a leak: name it and exit anyway.
          setTimeout(() => {
            log.warn({ resources: process.getActiveResourcesInfo() }, 'still running 2 s after a clean stop: exiting');
            process.exit(process.exitCode ?? 0);
          }, 2000).unref();
          resolveExit(fatal === undefined ? 0 : 1);
        } catch (e) {
          log.error({ err: e }, 'shutdown failed');
          resolveExit(1);
        }
      })();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    stopForFatal = () => stop('fatal error');
    if (fatal !== undefined) stop('fatal error');
  });
}
