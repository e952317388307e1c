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
import { systemClock, systemRandom } from '@stratus/runtime';
import { startTracing } from '../tracing/start.ts';
import { rateLimitedWarn } from '../log-limiter.ts';
import type { StratusConfig } from '../config/schema.ts';
import { startHttp } from '../http.ts';
import { httpTlsOf } from '../http-tls.ts';
import { devHealth } from '../health/dev-health.ts';
import { EventLoopStallWatch } from '../health/event-loop-stall.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { brokerLagSources, brokerProcessMetrics, partitionsLed } from '../metrics/broker-process.ts';
import { brokerSettings } from '../parts/broker-settings.ts';
import { authorizationSettings } from '../parts/authorization.ts';
import { quotaMetrics, quotaSettings } from '../parts/quotas.ts';
import { saslSettings } from '../parts/sasl.ts';
import { controllerSettings } from '../parts/controller-settings.ts';
import { openConfiguredObjectStore } from '../parts/object-store.ts';
import { openConfiguredStorage } from '../parts/storage.ts';
import { openConfiguredWal } from '../parts/wal.ts';
import { requestProblemLogger } from '../parts/request-problems.ts';
import { createAdminApi } from '../rest/admin-api.ts';
import { listenerInUse, listenerSummaries, listenersLine } from '../parts/kafka-listeners.ts';
import { banner } from './banner.ts';

/** groups.initialRebalanceDelay when unset: a single-node dev cluster has no reason to wait (see the schema). */
const DEV_INITIAL_REBALANCE_DELAY_MS = 0;

/** What `stratus dev --secure` (dev/secure/) adds to the start: the client settings printed instead of the plaintext "Try it" lines. */
export interface DevOptions {
  readonly instructions?: (bootstrap: string) => string;
}

export async function runDev(config: StratusConfig, options: DevOptions = {}): Promise<number> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty || process.stdout.isTTY === true, name: 'stratus' });
  // Before anything is built: components read whether tracing is on once.
  await startTracing(config.tracing, log);
  const warnRepeated = rateLimitedWarn(log);
  const loop = new EventLoopStallWatch();
  const dataDir = resolve(config.dataDir);
  for (const dir of ['wal', 'metadata', 'cache', 'objects']) mkdirSync(join(dataDir, dir), { recursive: true });
  const clock = systemClock;
  const random = systemRandom;
  const objectStoreUrl = config.objectStore.url ?? `file://${join(dataDir, 'objects')}`;
  const { store, metrics: objectStoreMetrics } = await openConfiguredObjectStore(objectStoreUrl, config.objectStore, log);

  const walDir = join(dataDir, 'wal');
  const openedWal = await openConfiguredWal(config, walDir, log);
  if (typeof openedWal === 'number') return openedWal;
  const { wal, flushMetrics: walFlush, maxBatchBytes: storageMaxBatchBytes } = openedWal;

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
    // Retention, compaction and the sweep retry on their cadence: a failing store makes one line per kind per interval.
    onBackgroundError: (error, context) => warnRepeated({ err: error, context }, `controller: ${context} failed`),
    onFatal: fatalIn('metadata journal', 'a restart reloads what is durable'),
    ...controllerSettings(config),
    maxBatchBytes: storageMaxBatchBytes,
  });

  controller.start(); // retention, offset expiry, deletion of unreferenced objects and orphans, object compaction

  const processMetrics = brokerProcessMetrics(config.metrics, config.sasl.mechanisms);
  const { cache, storage } = await openConfiguredStorage({ config, dataDir, walDir, wal, store, index: controller, clock, random, log, onFatal, onUploaded: processMetrics.uploads.onUploaded });

  let broker: Broker;
  try {
    broker = await Broker.start({
      ...brokerSettings(config, {
        initialRebalanceDelayMs: DEV_INITIAL_REBALANCE_DELAY_MS,
        // Empty groups whose offsets are gone are forgotten on the cadence offsets expire on.
        groupCleanupIntervalMs: config.retention.checkInterval,
        log,
      }),
      controller,
      storage,
      clock,
      ...authorizationSettings(config, controller, log, processMetrics.security),
      ...quotaSettings(config),
      ...saslSettings(config, clock, log, processMetrics.security, controller),
      onProblem: requestProblemLogger(log),
      onGroupEvent: (group, message) => log.info({ group }, `group ${group}: ${message}`),
      onRequest: processMetrics.requests.onRequest,
      onTrailingBytes: (header, trailingBytes, conn) =>
        log.debug({ clientId: header.clientId, apiKey: header.apiKey, apiVersion: header.apiVersion, trailingBytes, remote: conn.remoteAddress }, 'ignoring bytes after a request body (as Kafka does)'),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      log.error(listenerInUse(config.kafka.listeners, e as NodeJS.ErrnoException, 'pass --kafka-port'));
      await storage.close({ flush: true });
      await controller.close();
      return 1;
    }
    throw e;
  }

  let ready = true;
  const metrics = createMetrics({
    objectStore: objectStoreMetrics,
    early: [...walFlush.metrics, ...processMetrics.early],
    storage: () => storage,
    blockCache: () => cache.stats(),
    server: () => broker.stats(),
    maintenance: () => controller.maintenanceStats(),
    wal: () => wal.stats(),
    controller: () => controller.stats(),
    journal: () => journal.journalStats(),
    broker: () => ({ groups: broker.coordinator.groupCount, openPartitions: broker.partitions.openCount, storageLogs: storage.openPartitions }),
    partitionsLed: () => partitionsLed(controller.metadata(), config.node.id),
    uploadQueue: () => ({ entries: storage.uploader.pendingEntries, bytes: storage.uploader.pendingBytes }),
    cluster: () => controller.clusterStats(),
    traffic: processMetrics.requests.traffic,
    lag: () => brokerLagSources(broker, controller),
    limits: config.metrics,
    prices: config.metrics.prices,
  });
  quotaMetrics(metrics, () => broker, config);
  // The admin REST API on the same port as /metrics; the embedded controller is always the active one.
  const adminApi = createAdminApi({
    controller: () => controller,
    role: () => ({ role: 'active', activeController: null }),
    apiToken: config.admin.apiToken,
    maxBodyBytes: config.admin.maxBodyBytes,
    requestTimeoutMs: config.admin.requestTimeout,
    onError: (error, context) => log.warn({ err: error, context }, `admin API: ${context} failed`),
  });
  let http;
  try {
    http = await startHttp(config.http.host, config.http.port, {
      ...devHealth({ fatal: () => fatal?.message, stopping: () => !ready, loop, writeProblem: () => storage.writeProblem() }),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
      api: adminApi,
    }, httpTlsOf(config.http.tls, log));
  } catch (e) {
    log.error(`HTTP port ${config.http.host}:${config.http.port} is not available (${(e as Error).message}): pass --http-port`);
    await broker.close({ drainTimeoutMs: 0 });
    await controller.close();
    return 1;
  }
  const listeners = listenerSummaries(config.kafka.listeners, broker.listeners);
  process.stdout.write(
    banner({
      bootstrap: listeners[0]!.advertised,
      ...(listeners.length > 1 ? { listeners: listeners.map((l) => ({ name: l.name, bootstrap: l.advertised })) } : {}),
      httpUrl: `${config.http.tls !== undefined ? 'https' : 'http'}://${config.http.host}:${http.port}`,
      adminApiWritable: config.admin.apiToken !== undefined,
      dataDir,
      objectStoreUrl,
      topics: controller.metadata().topics.length,
      ...(options.instructions === undefined ? {} : { tryIt: options.instructions(listeners[0]!.advertised) }),
    }),
  );
  log.info({ kafka: broker.port, listeners, http: http.port, dataDir, objectStore: objectStoreUrl }, `stratus dev is ready; Kafka listeners ${listenersLine(listeners)}`);

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
          adminApi.close();
          await broker.close({ drainTimeoutMs: config.kafka.shutdownDrain, flushTimeoutMs: config.storage.shutdownFlushTimeout });
          await cache.close();
          await controller.close();
          await store.close();
          http.server.close();
          loop.close();
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
