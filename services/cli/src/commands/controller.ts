// `stratus controller`: the controller service of a cluster (issue 10 §4). Serves the
// ControllerService over gRPC and competes for the election lease in Redis; the winner
// opens the metadata store fenced with its lease epoch and runs the Controller with its
// background loops (retention, compaction, orphan sweep, cluster checks), the others are
// standbys that redirect every call to it (@stratus/controller's ControllerNode). With a
// file:// metadata store there is no election: one controller, active from the start.
//
// HTTP: /readyz and /livez as health/controller-health.ts says: ready when active, or a
// standby that reaches Redis (it can take over); live unless a fatal error or a stalled
// event loop — never failed by Redis being away.
//
// SIGTERM: stop taking calls, let those in flight finish (grpc.shutdownGrace), close the
// Controller (last snapshot under its epoch, store closed), release the lease so a
// standby takes over at once, close the server. A Controller that does not close after
// stepping down ends the process with exit code 1 and one log line (its supervisor
// restarts it).

import { hostname } from 'node:os';
import { Controller, ControllerNode, openMetadataStore, RedisControllerLease } from '@stratus/controller';
import type { ControllerNodeEvent } from '@stratus/controller';
import { Registry } from 'prom-client';
import { startTracing } from '../tracing/start.ts';
import { rateLimitedWarn } from '../log-limiter.ts';
import { systemClock, systemRandom } from '@stratus/runtime';
import type { ControllerProcessConfig } from '../config/controller-schema.ts';
import { controllerProcessMetrics } from '../controller-metrics.ts';
import { startHttp } from '../http.ts';
import { httpTlsOf } from '../http-tls.ts';
import { controllerHealth } from '../health/controller-health.ts';
import { EventLoopStallWatch } from '../health/event-loop-stall.ts';
import { createLogger } from '../logger.ts';
import type { Logger } from '../logger.ts';
import { createMetrics } from '../metrics.ts';
import { controllerSettings } from '../parts/controller-settings.ts';
import { openConfiguredObjectStore } from '../parts/object-store.ts';
import { createAdminApi } from '../rest/admin-api.ts';
import { catchStopSignals, exitSoonAfterStop } from './signals.ts';

const isRedisUrl = (url: string): boolean => /^rediss?(\+sentinel)?:\/\//.test(url);

export async function runController(config: ControllerProcessConfig): Promise<number> {
  const log = createLogger({ level: config.log.level, pretty: config.log.pretty || process.stdout.isTTY === true, name: 'stratus-controller' });
  const signals = catchStopSignals(log);
  const loop = new EventLoopStallWatch();
  // Before anything is built: components read whether tracing is on once.
  await startTracing(config.tracing, log);
  const warnRepeated = rateLimitedWarn(log);
  const clock = systemClock;
  const random = systemRandom;
  const { store: objectStore, metrics: objectStoreMetrics } = await openConfiguredObjectStore(config.objectStore.url, config.objectStore, log);
  const metadataUrl = config.metadata.url;
  const safeMetadataUrl = metadataUrl.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@');

  let lease: RedisControllerLease | undefined;
  if (isRedisUrl(metadataUrl)) {
    try {
      lease = await RedisControllerLease.open({ url: metadataUrl });
    } catch (e) {
      log.error(`metadata.url ${safeMetadataUrl}: cannot reach Redis for the election lease: ${(e as Error).message}`);
      await objectStore.close();
      return 1;
    }
  }

  // Lease errors repeat once per retry while Redis is away: one warning per LEASE_ERROR_LOG_MS, the rest at debug.
  const leaseErrors = { lastWarnMs: -Infinity, suppressed: 0 };
  let fatal: string | undefined;
  let stop: ((signal: string) => void) | undefined;
  const registry = new Registry();
  let node: ControllerNode | undefined;
  const onCall = controllerProcessMetrics(registry, () => node?.status());
  const g = config.grpc;
  const advertised = g.advertisedHost !== undefined || g.advertisedPort !== undefined ? `${g.advertisedHost ?? g.host}:${g.advertisedPort ?? g.port}` : undefined;
  // Unique per process incarnation, as the lease requires; short enough for the holder id.
  const incarnation = `${config.name}-${hostname().slice(0, 40).replace(/[\s@]/g, '_')}-${process.pid}-${Date.now().toString(36)}`;
  try {
    node = await ControllerNode.start({
      clock,
      grpc: {
        host: g.host,
        port: g.port,
        maxMessageBytes: g.maxMessageBytes,
        maxConcurrentStreams: g.maxConcurrentStreams,
        maxWatchers: g.maxWatchers,
        shutdownGraceMs: g.shutdownGrace,
        ...(g.tls !== undefined ? { tls: grpcTls(g.tls, log) } : {}),
        // Every broker's watch stream can fail at once (a network cut): one line per kind per interval.
        onError: (error, context) => warnRepeated({ err: error, context }, `gRPC: ${context}`),
      },
      ...(advertised !== undefined ? { advertisedAddress: advertised } : {}),
      ...(lease !== undefined
        ? {
            election: {
              lease,
              incarnation,
              leaseMs: config.election.leaseTime,
              renewIntervalMs: config.election.renewInterval,
              acquireRetryMs: config.election.acquireRetry,
            },
          }
        : {}),
      open: async (epoch, onStoreFailed) =>
        Controller.open({
          store: await openMetadataStore(metadataUrl, { ...(epoch !== undefined ? { epoch } : {}) }),
          objectStore,
          clock,
          random,
          // Retention, compaction and the sweep retry on their cadence: one line per kind per interval.
          onBackgroundError: (error, context) => warnRepeated({ err: error, context }, `controller: ${context} failed`),
          onFatal: onStoreFailed,
          onUncleanFailover: (event) => log.error({ event }, 'unclean failover: a local partition moved away from a lost broker; what it had not uploaded is given up'),
          onSuspicion: (change) =>
            change.suspected
              ? log.warn({ broker: change.nodeId, why: change.why }, `broker ${change.nodeId} is suspected gone (${change.why === 'disconnected' ? 'its connection closed' : 'nothing heard from it'}): its object-durable partitions move now, before its lease lapses`)
              : log.info({ broker: change.nodeId }, `broker ${change.nodeId} is no longer suspected`),
          ...controllerSettings(config),
          cluster: {
            brokerLeaseMs: config.cluster.brokerLease,
            heartbeatIntervalMs: config.cluster.heartbeatInterval,
            checkIntervalMs: config.cluster.checkInterval,
            moveTimeoutMs: config.cluster.moveTimeout,
            maxConcurrentMoves: config.cluster.maxConcurrentMoves,
            uncleanFailover: config.cluster.uncleanFailover,
            uncleanFailoverGraceMs: config.cluster.uncleanFailoverGrace,
            ...(config.cluster.suspectAfterDisconnect !== undefined ? { suspectAfterDisconnectMs: config.cluster.suspectAfterDisconnect } : {}),
            ...(config.cluster.suspectAfterSilence !== undefined ? { suspectAfterSilenceMs: config.cluster.suspectAfterSilence } : {}),
          },
        }),
      closeTimeoutMs: config.election.closeTimeout,
      drainTimeoutMs: g.shutdownGrace,
      onEvent: (event) => logEvent(log, event, safeMetadataUrl, leaseErrors),
      onCall,
      onFatal: (reason, error) => {
        if (fatal !== undefined) return;
        fatal = reason;
        process.exitCode = 1;
        log.fatal({ err: error }, `fatal: ${reason}; exiting for the supervisor to restart this controller`);
        stop?.('fatal error');
      },
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    log.error(code === 'EADDRINUSE' || /bind|address/i.test((e as Error).message) ? `gRPC port ${g.host}:${g.port} is not available: ${(e as Error).message}` : `the controller did not start: ${(e as Error).message}`);
    await lease?.close();
    await objectStore.close();
    return 1;
  }
  const started = node;

  const metrics = createMetrics({
    objectStore: objectStoreMetrics,
    maintenance: () => started.activeController?.maintenanceStats(),
    controller: () => started.activeController?.stats(),
    cluster: () => started.activeController?.clusterStats(),
    prices: config.metrics.prices,
  });
  const merged = Registry.merge([metrics, registry]);
  // The admin REST API: the active controller serves it all; a standby only health and the OpenAPI document.
  const adminApi = createAdminApi({
    controller: () => started.activeController,
    role: () => {
      const s = started.status();
      return { role: s.role, activeController: s.activeAddress };
    },
    apiToken: config.admin.apiToken,
    maxBodyBytes: config.admin.maxBodyBytes,
    requestTimeoutMs: config.admin.requestTimeout,
    onError: (error, context) => log.warn({ err: error, context }, `admin API: ${context} failed`),
  });
  let stopping = false;
  let http;
  try {
    http = await startHttp(config.http.host, config.http.port, {
      ...controllerHealth({
        fatal: () => fatal,
        stopping: () => stopping,
        loop,
        role: () => started.status().role,
        election:
          lease === undefined
            ? undefined
            : {
                leaseMs: config.election.leaseTime,
                answeredAgoMs: () => {
                  const at = started.leaseAnsweredMs;
                  return at === undefined ? undefined : systemClock.monotonicMs() - at;
                },
              },
      }),
      metrics: async () => ({ contentType: merged.contentType, body: await merged.metrics() }),
      api: adminApi,
    }, httpTlsOf(config.http.tls, log));
  } catch (e) {
    log.error(`HTTP port ${config.http.host}:${config.http.port} is not available (${(e as Error).message})`);
    await started.stop();
    await lease?.close();
    await objectStore.close();
    return 1;
  }
  log.info(
    {
      grpc: started.server.address,
      advertised: started.advertisedAddress,
      // What protects the gRPC API: plaintext, TLS, or mTLS (and for whom) — docs/security.md.
      grpcTls: g.tls === undefined ? 'off' : g.tls.caFile === undefined ? 'tls' : g.tls.allowedPrincipals === undefined ? 'mtls' : `mtls for ${g.tls.allowedPrincipals.join(', ')}`,
      http: http.port,
      httpTls: config.http.tls === undefined ? 'off' : (config.http.tls.clientAuth ?? 'none') === 'none' ? 'tls' : `tls, client certificates ${config.http.tls.clientAuth}`,
      metadata: safeMetadataUrl,
      election: lease !== undefined,
      adminApi: config.admin.apiToken !== undefined ? 'read-write' : 'read-only',
    },
    lease !== undefined ? 'stratus controller is serving (standby until it wins the election)' : 'stratus controller is serving (single controller, file:// metadata)',
  );

  return new Promise<number>((resolveExit) => {
    stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info(signal === 'fatal error' ? 'stopping after a fatal error' : `${signal}: stopping (draining calls, closing the controller, releasing the lease)`);
      void (async () => {
        try {
          adminApi.close();
          await started.stop();
          await lease?.close();
          await objectStore.close();
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

/** How often a failing election lease is logged as a warning. */
const LEASE_ERROR_LOG_MS = 10_000;

function logEvent(log: Logger, event: ControllerNodeEvent, metadataUrl: string, leaseErrors: { lastWarnMs: number; suppressed: number }): void {
  switch (event.type) {
    case 'acquired':
      log.info({ epoch: event.epoch }, `won the election lease with epoch ${event.epoch}: loading the metadata`);
      break;
    case 'active':
      log.info({ epoch: event.epoch, openMs: event.openMs }, `active controller (epoch ${event.epoch}), metadata loaded in ${event.openMs} ms`);
      break;
    case 'lost':
      log.warn({ epoch: event.epoch }, `lost the election lease of epoch ${event.epoch} (${event.reason}): stepping down to standby`);
      break;
    case 'standby':
      log.info(`standby (${event.reason})`);
      break;
    case 'open-failed':
      log.error({ err: event.error, epoch: event.epoch }, `could not open the metadata store ${metadataUrl} as epoch ${event.epoch}: giving the lease up and competing again`);
      break;
    case 'store-failed':
      log.error({ err: event.error, epoch: event.epoch }, 'the metadata store failed: stepping down and competing again');
      break;
    case 'lease-error': {
      const now = systemClock.monotonicMs();
      if (now - leaseErrors.lastWarnMs < LEASE_ERROR_LOG_MS) {
        leaseErrors.suppressed++;
        log.debug({ err: event.error }, 'election lease call failed');
        break;
      }
      log.warn({ err: event.error, since: leaseErrors.suppressed }, `election lease: ${(event.error as Error).message}${leaseErrors.suppressed > 0 ? ` (and ${leaseErrors.suppressed} more failures since the last warning)` : ''}`);
      leaseErrors.lastWarnMs = now;
      leaseErrors.suppressed = 0;
      break;
    }
  }
}

/** grpc.tls as the gRPC server takes it, with its reloads logged (services/controller/src/grpc/tls-files.ts). */
function grpcTls(t: NonNullable<ControllerProcessConfig['grpc']['tls']>, log: Logger) {
  return {
    certFile: t.certFile,
    keyFile: t.keyFile,
    ...(t.caFile !== undefined ? { caFile: t.caFile } : {}),
    ...(t.allowedPrincipals !== undefined ? { allowedPrincipals: t.allowedPrincipals } : {}),
    reloadIntervalMs: t.reloadInterval,
    onReload: (subject: string | null) => log.info({ certificate: subject }, `gRPC: TLS files reloaded from ${t.certFile} (now ${subject ?? 'no certificate'})`),
    onReloadFailed: (err: Error) => log.warn({ err: err.message }, `gRPC: the changed TLS files do not load (${err.message}); still serving the previous ones`),
  };
}
