// `stratus broker`: a broker of a cluster (issue 10 §4) — the storage engine (WAL,
// uploader, block cache) over the shared object store and the Kafka listener, with the
// controller reached over gRPC at a list of endpoints (GrpcControllerClient follows the
// standbys' redirects to the active one and skips unreachable ones). The broker keeps a
// lease with the controller (heartbeats, self-fencing), hands over partitions the
// controller moves away, and serves committed data of partitions it does not lead to
// consumers of its rack (KIP-392).
//
// HTTP: /readyz and /livez as health/broker-health.ts says (registered, lease held,
// metadata flowing, WAL taking writes; live unless a fatal error or a stalled event loop).
//
// SIGTERM: not ready; the broker drains itself through the controller (drainBroker,
// reason 'shutdown'), so that every partition it leads moves to another broker gracefully
// (it stops accepting, uploads and commits its tail, releases; clients see
// NOT_LEADER_OR_FOLLOWER and retry) — waiting at most cluster.shutdownDrainTimeout — then
// stops as dev does: finish requests, upload the WAL, leave. On start it undoes its own
// shutdown drain (drainBroker false, 'shutdown'): a broker that starts again is meant to
// take partitions. An operator's drain (a decommission) is not its to undo and stays.

import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Broker } from '@stratus/broker';
import { GrpcControllerClient } from '@stratus/controller';
import { systemClock, systemRandom } from '@stratus/runtime';
import { startTracing } from '../tracing/start.ts';
import type { BrokerProcessConfig } from '../config/broker-schema.ts';
import { startHttp } from '../http.ts';
import { httpTlsOf } from '../http-tls.ts';
import { brokerHealth } from '../health/broker-health.ts';
import { EventLoopStallWatch } from '../health/event-loop-stall.ts';
import { createLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { brokerClusterMetrics } from '../broker-metrics.ts';
import { createMetrics } from '../metrics.ts';
import { brokerLagSources, brokerProcessMetrics, partitionsLed } from '../metrics/broker-process.ts';
import { brokerSettings } from '../parts/broker-settings.ts';
import { authorizationSettings } from '../parts/authorization.ts';
import { quotaMetrics, quotaSettings } from '../parts/quotas.ts';
import { saslSettings } from '../parts/sasl.ts';
import { openConfiguredObjectStore } from '../parts/object-store.ts';
import { openConfiguredStorage } from '../parts/storage.ts';
import { openConfiguredWal } from '../parts/wal.ts';
import { requestProblemLogger } from '../parts/request-problems.ts';
import { listenerInUse, listenerSummaries, listenersLine } from '../parts/kafka-listeners.ts';
import { catchStopSignals, exitSoonAfterStop } from './signals.ts';

/** groups.initialRebalanceDelay when unset: Kafka's broker default (members of a group starting together join one rebalance). */
const CLUSTER_INITIAL_REBALANCE_DELAY_MS = 3000;
/** How often the SIGTERM drain asks the controller how many partitions are left. */
const DRAIN_POLL_MS = 100;

export async function runBroker(config: BrokerProcessConfig): Promise<number> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty || process.stdout.isTTY === true, name: 'stratus-broker' });
  const signals = catchStopSignals(log);
  const loop = new EventLoopStallWatch();
  // Before anything is built: components read whether tracing is on once.
  await startTracing(config.tracing, log);
  const nodeId = config.node.id;
  const dataDir = resolve(config.dataDir);
  for (const dir of ['wal', 'cache']) mkdirSync(join(dataDir, dir), { recursive: true });
  const clock = systemClock;
  const random = systemRandom;
  const { store, metrics: objectStoreMetrics } = await openConfiguredObjectStore(config.objectStore.url, config.objectStore, log);
  const walDir = join(dataDir, 'wal');
  const openedWal = await openConfiguredWal(config, walDir, log);
  if (typeof openedWal === 'number') return openedWal;
  const { wal, flushMetrics, maxBatchBytes } = openedWal;

  let client: GrpcControllerClient;
  try {
    client = await GrpcControllerClient.connect({
      target: config.controller.endpoints,
      clock,
      random,
      callTimeoutMs: config.controller.callTimeout,
      operationTimeoutMs: config.controller.operationTimeout,
      connectTimeoutMs: config.controller.connectTimeout,
      brokerId: nodeId,
      ...(config.controller.tls !== undefined ? { tls: withoutUndefined(config.controller.tls) } : {}),
      onError: (error, context) => log.debug({ err: error, context }, `controller client: ${context}`),
    });
  } catch (e) {
    log.error(`no controller answered at ${config.controller.endpoints.join(', ')} within ${config.controller.connectTimeout} ms (controller.endpoints): ${(e as Error).message}`);
    await wal.close();
    await store.close();
    return 1;
  }
  log.info({ controller: client.endpointStats().current, maxBatchBytes }, 'connected to the active controller');

  // A fatal storage failure: not ready, not live, one log line, a shutdown that exits non-zero (a restart recovers the WAL).
  let fatal: Error | undefined;
  let stop: ((signal: string) => void) | undefined;
  const onFatal = (error: Error): void => {
    if (fatal !== undefined) return;
    fatal = error;
    process.exitCode = 1;
    log.fatal({ err: error }, `fatal: the write-ahead log failed, stopping (a restart recovers the WAL): ${error.message}`);
    stop?.('fatal error');
  };
  const processMetrics = brokerProcessMetrics(config.metrics, config.sasl.mechanisms);
  const { cache, storage } = await openConfiguredStorage({ config, dataDir, walDir, wal, store, index: client, clock, random, log, onFatal, onUploaded: processMetrics.uploads.onUploaded });

  const c = config.cluster;
  let broker: Broker;
  try {
    broker = await Broker.start({
      ...brokerSettings(config, { initialRebalanceDelayMs: CLUSTER_INITIAL_REBALANCE_DELAY_MS, groupCleanupIntervalMs: config.groups.emptyGroupCleanupInterval, log }),
      controller: client,
      storage,
      clock,
      ...authorizationSettings(config, client, log, processMetrics.security),
      ...quotaSettings(config),
      cluster: {
        lease: {
          leaseMs: c.brokerLease,
          heartbeatIntervalMs: c.heartbeatInterval,
          safetyMarginMs: c.safetyMargin,
          requestTimeoutMs: c.requestTimeout,
          registerBackoffBaseMs: c.registerBackoffBase,
          registerBackoffMaxMs: c.registerBackoffMax,
        },
        handOver: { releaseAttempts: c.releaseAttempts, releaseRetryMs: c.releaseRetry },
        replicaReads: { maxPartitions: c.replicaReadMaxPartitions, pollIntervalMs: c.replicaReadPollInterval },
        onEvent: (event) => logClusterEvent(log, event),
      },
      ...saslSettings(config, clock, log, processMetrics.security, client),
      onProblem: requestProblemLogger(log),
      onGroupEvent: (group, message) => log.info({ group }, `group ${group}: ${message}`),
      onRequest: processMetrics.requests.onRequest,
      onTrailingBytes: (header, trailingBytes, conn) =>
        log.debug({ clientId: header.clientId, apiKey: header.apiKey, apiVersion: header.apiVersion, trailingBytes, remote: conn.remoteAddress }, 'ignoring bytes after a request body (as Kafka does)'),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE') throw e;
    log.error(listenerInUse(config.kafka.listeners, e as NodeJS.ErrnoException, 'change kafka.port'));
    await storage.close({ flush: true });
    await client.close();
    return 1;
  }
  // A broker that starts is meant to lead: undo the drain its last graceful stop asked for
  // (reason 'shutdown': the controller keeps an operator's drain, and says so).
  const undrained = await client.drainBroker(nodeId, false, 'shutdown').catch((e: unknown) => e as Error);
  if (undrained instanceof Error) log.warn({ err: undrained }, 'could not clear a drain left by an earlier stop (the controller keeps this broker draining)');
  else if (undrained.draining && undrained.drainReason === 'operator') {
    log.info({ drainReason: undrained.drainReason, partitionsToMove: undrained.partitionsToMove }, `broker ${nodeId} stays drained: an operator drained it; undo with stratus admin brokers undrain ${nodeId}`);
  }

  let stopping = false;
  const metrics = createMetrics({
    objectStore: objectStoreMetrics,
    early: [...flushMetrics.metrics, ...processMetrics.early],
    storage: () => storage,
    blockCache: () => cache.stats(),
    server: () => broker.stats(),
    wal: () => wal.stats(),
    broker: () => ({ groups: broker.coordinator.groupCount, openPartitions: broker.partitions.openCount, storageLogs: storage.openPartitions, replicaPartitions: broker.replicaReads.openCount }),
    partitionsLed: () => partitionsLed(client.metadata(), nodeId),
    uploadQueue: () => ({ entries: storage.uploader.pendingEntries, bytes: storage.uploader.pendingBytes }),
    traffic: processMetrics.requests.traffic,
    lag: () => brokerLagSources(broker, client),
    limits: config.metrics,
    prices: config.metrics.prices,
  });
  quotaMetrics(metrics, () => broker, config);
  brokerClusterMetrics(metrics, {
    brokerEpoch: () => broker.brokerEpoch,
    fenced: () => broker.lease?.fenced !== false,
    endpoints: () => client.endpointStats(),
    watch: () => client.watchStats(),
    extentCache: () => client.extentCacheStats(),
  });
  let http;
  try {
    http = await startHttp(config.http.host, config.http.port, {
      ...brokerHealth({
        nodeId,
        fatal: () => fatal?.message,
        stopping: () => stopping,
        loop,
        lease: () => ({ brokerEpoch: broker.brokerEpoch, fenced: broker.lease?.fenced !== false }),
        leaseMs: c.brokerLease,
        watch: () => client.watchStats(),
        liveInMetadata: () => {
          const me = client.metadata().brokers.find((b) => b.nodeId === nodeId);
          return me !== undefined && !me.fenced;
        },
        writeProblem: () => storage.writeProblem(),
      }),
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
    }, httpTlsOf(config.http.tls, log));
  } catch (e) {
    log.error(`HTTP port ${config.http.host}:${config.http.port} is not available (${(e as Error).message})`);
    await broker.close({ drainTimeoutMs: 0 });
    await client.close();
    return 1;
  }
  const listeners = listenerSummaries(config.kafka.listeners, broker.listeners);
  log.info(
    { nodeId, kafka: listeners[0]!.advertised, listeners, rack: config.kafka.rack, http: http.port, dataDir, brokerEpoch: broker.brokerEpoch },
    `stratus broker ${nodeId} is serving; Kafka listeners ${listenersLine(listeners)}`,
  );

  return new Promise<number>((resolveExit) => {
    stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(fatal === undefined ? `${signal}: shutting down (moving partitions away, finishing requests, uploading the WAL)` : 'shutting down after a fatal error');
      void (async () => {
        try {
          if (fatal === undefined) await drainAway(client, nodeId, c.shutdownDrainTimeout, log);
          await broker.close({ drainTimeoutMs: config.kafka.shutdownDrain, flushTimeoutMs: config.storage.shutdownFlushTimeout });
          await cache.close();
          await client.close();
          await store.close();
          http.server.close();
          loop.close();
          log.info(fatal === undefined ? 'stopped cleanly' : 'stopped after a fatal error');
          exitSoonAfterStop(log);
          resolveExit(fatal === undefined ? 0 : 1);
        } catch (e) {
          log.error({ err: e }, 'shutdown failed');
          resolveExit(1);
        }
      })();
    };
    signals.onStop((signal) => stop?.(signal));
    if (fatal !== undefined) stop('fatal error');
  });
}

/**
 * Asks the controller to move every partition this broker leads elsewhere, and waits
 * until none is left (drainBroker is idempotent: asking again answers how many remain),
 * at most `timeoutMs`. What is left when time is up stays with the broker: its WAL is
 * uploaded on close, and the controller moves the partitions once the lease lapses. With
 * no other live broker that is not draining itself there is nowhere to move to (the
 * last broker of a cluster that stops): it stops at once.
 */
async function drainAway(client: GrpcControllerClient, nodeId: number, timeoutMs: number, log: Logger): Promise<void> {
  const started = systemClock.monotonicMs();
  let left = -1;
  let first = -1;
  while (systemClock.monotonicMs() - started < timeoutMs) {
    try {
      const r = await client.drainBroker(nodeId, true, 'shutdown');
      if (r.errorCode !== 0) {
        log.warn(`drain refused by the controller (error ${r.errorCode}${r.errorMessage ? `: ${r.errorMessage}` : ''}): stopping without moving partitions`);
        return;
      }
      left = r.partitionsToMove;
      if (first < 0) first = left;
    } catch (e) {
      log.warn({ err: e }, 'drain: the controller did not answer; trying again');
    }
    if (left === 0) break;
    const others = client.metadata().brokers.filter((b) => b.nodeId !== nodeId && !b.fenced && !b.draining);
    if (left > 0 && others.length === 0) {
      log.warn({ left }, `drain: no other live broker to move ${left} partition(s) to; stopping with them (they move once a broker is back)`);
      return;
    }
    await systemClock.sleep(DRAIN_POLL_MS);
  }
  const ms = Math.round(systemClock.monotonicMs() - started);
  if (left === 0) log.info({ partitions: first, ms }, `drained: ${Math.max(first, 0)} partition(s) moved to other brokers in ${ms} ms`);
  else if (left < 0) log.warn({ ms }, `drain: no controller answered within ${ms} ms; stopping without moving partitions (they move once this broker's lease lapses)`);
  else log.warn({ left, ms }, `drain: ${left} partition(s) still led after ${ms} ms; stopping anyway (they move once this broker's lease lapses)`);
}

/** The object without its undefined properties (exactOptionalPropertyTypes: absent is not undefined). */
function withoutUndefined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function logClusterEvent(log: Logger, event: Parameters<NonNullable<NonNullable<Parameters<typeof Broker.start>[0]['cluster']>['onEvent']>>[0]): void {
  switch (event.type) {
    case 'registered':
      log.info({ brokerEpoch: event.brokerEpoch }, `registered with the controller (broker epoch ${event.brokerEpoch})`);
      break;
    case 'register-failed':
      log.warn({ err: event.error, attempt: event.attempt, retryInMs: event.retryInMs }, 'registration failed; retrying');
      break;
    case 'heartbeat-failed':
      if (event.consecutive === 1 || event.consecutive % 10 === 0) log.warn({ err: event.error, consecutive: event.consecutive }, 'heartbeat failed');
      break;
    case 'fenced':
      log.warn({ reason: event.reason, sinceRenewalMs: event.sinceRenewalMs }, `fenced itself (${event.reason === 'lapsed' ? 'lease not renewed in time' : 'the controller fenced this broker epoch'}): not accepting produce until renewed`);
      break;
    case 'unfenced':
      log.info({ brokerEpoch: event.brokerEpoch }, 'lease renewed: leading again');
      break;
    case 'hand-over-started':
      log.info({ topic: event.topic, partition: event.partition, to: event.to }, `handing ${event.topic}-${event.partition} over to broker ${event.to}`);
      break;
    case 'hand-over-released':
      log.info(
        { topic: event.topic, partition: event.partition, to: event.to, durationMs: Math.round(event.durationMs), flushMs: Math.round(event.flushMs) },
        `handed ${event.topic}-${event.partition} over to broker ${event.to} in ${Math.round(event.durationMs)} ms`,
      );
      break;
    case 'hand-over-cancelled':
      log.info({ topic: event.topic, partition: event.partition }, `hand-over of ${event.topic}-${event.partition} cancelled: keeping it`);
      break;
    case 'hand-over-failed':
      log.warn({ topic: event.topic, partition: event.partition, reason: event.reason, err: event.error }, `hand-over of ${event.topic}-${event.partition} failed: ${event.reason}`);
      break;
  }
}
