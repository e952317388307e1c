// `stratus controller`'s configuration: the controller service — where it serves gRPC
// and is reached (the advertised address is published with the election lease), its
// metadata store (redis:// for several controllers, file:// for one), the election, the
// shared object store (garbage collection, compaction), and the controller-side sections
// dev has too (schema.ts): cluster-wide topic defaults and limits, retention, compaction,
// offsets retention, plus the cluster protocol's controller settings.

import { z } from 'zod';
import {
  adminSection,
  bytes,
  clusterNameSection,
  compactionSection,
  controllerGroupsSection,
  controllerLimitsSection,
  controllerTopicsSection,
  DAY_MS,
  duration,
  httpSectionOn,
  logSection,
  metricsSection,
  MiB,
  port,
  retentionSection,
  sharedObjectStoreSection,
  tracingSectionFor,
} from './schema.ts';

const required = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : undefined) });

export const controllerConfigSchema = z
  .object({
    /** Names this controller in the election lease (with its pid and start time); no whitespace or '@'. */
    name: z.string().regex(/^[^\s@]+$/, "no whitespace or '@'").max(100).default('controller'),
    clusterName: clusterNameSection,
    grpc: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(9190),
        /** What brokers are told (the standbys' redirects name it). Default: host and port. */
        advertisedHost: z.string().min(1).optional(),
        advertisedPort: port.optional(),
        maxMessageBytes: bytes(64 * 1024, 1024 * MiB).default(16 * MiB),
        maxConcurrentStreams: z.number().int().min(1).max(1_000_000).default(1000),
        maxWatchers: z.number().int().min(1).max(1_000_000).default(1000),
        /** On shutdown, how long calls in flight may finish before they are cut. */
        shutdownGrace: duration.pipe(z.number().min(1)).prefault('5s'),
        /** TLS: certFile and keyFile together; with caFile, clients must present certificates (mTLS). The files are reloaded when they change. */
        tls: z
          .object({
            certFile: z.string().min(1),
            keyFile: z.string().min(1),
            caFile: z.string().min(1).optional(),
            /** Only client certificates whose subject CN is one of these may call (brokers, admins); unset: any the CA signed. */
            allowedPrincipals: z.array(z.string().min(1)).min(1).optional(),
            /** How often the PEM files are checked for a change (cert-manager rotation); 0 never. */
            reloadInterval: duration.prefault('30s'),
          })
          .strict()
          .refine((t) => t.allowedPrincipals === undefined || t.caFile !== undefined, { message: 'allowedPrincipals needs caFile (client certificates are checked against it)', path: ['allowedPrincipals'] })
          .optional(),
      })
      .strict()
      .prefault({}),
    metadata: z
      .object({
        /** redis://, rediss://, redis+sentinel:// (any number of controllers), or file:// (exactly one). */
        url: z
          .string(required('the metadata store, redis://host:port (or file://DIR for a single controller)'))
          .regex(/^(redis|rediss|redis\+sentinel|rediss\+sentinel|file):\/\//, 'use redis://, rediss://, redis+sentinel:// or file://'),
      })
      .strict()
      .prefault({} as { url: string }),
    /** The election lease (redis:// stores only): failover takes at most leaseTime + acquireRetry. */
    election: z
      .object({
        leaseTime: duration.pipe(z.number().min(10).max(600_000)).prefault('3s'),
        /** At most half the lease time, so one failed renewal does not lose it. */
        renewInterval: duration.pipe(z.number().min(1)).prefault('1s'),
        acquireRetry: duration.pipe(z.number().min(1).max(600_000)).prefault('1s'),
        /** A Controller that does not close within this after stepping down: the process exits non-zero. */
        closeTimeout: duration.pipe(z.number().min(1)).prefault('10s'),
      })
      .strict()
      .superRefine((e, ctx) => {
        if (e.renewInterval > Math.floor(e.leaseTime / 2)) ctx.addIssue({ code: 'custom', path: ['renewInterval'], message: `must be at most half of election.leaseTime (${Math.floor(e.leaseTime / 2)} ms)` });
      })
      .prefault({}),
    http: httpSectionOn(9645),
    tracing: tracingSectionFor('stratus-controller'),
    objectStore: sharedObjectStoreSection,
    topics: controllerTopicsSection,
    groups: controllerGroupsSection,
    retention: retentionSection,
    compaction: compactionSection,
    limits: controllerLimitsSection,
    metrics: metricsSection,
    /** The controller's half of the cluster protocol (services/controller/src/cluster/cluster-options.ts). */
    cluster: z
      .object({
        /** A broker not heard from for this long is fenced; brokers' cluster.brokerLease must not exceed it. */
        brokerLease: duration.pipe(z.number().min(100).max(3_600_000)).prefault('6s'),
        /** The brokers' heartbeat interval (at most a third of brokerLease). */
        heartbeatInterval: duration.pipe(z.number().min(10)).prefault('1s'),
        checkInterval: duration.pipe(z.number().min(1)).prefault('250ms'),
        moveTimeout: duration.pipe(z.number().min(1).max(DAY_MS)).prefault('10s'),
        maxConcurrentMoves: z.number().int().min(1).max(100_000).default(32),
        /** Default of unclean.leader.election.enable: move a `local` partition of a lost broker after the grace, giving up what it had not uploaded. */
        uncleanFailover: z.boolean().default(false),
        uncleanFailoverGrace: duration.pipe(z.number().min(0).max(365 * DAY_MS)).prefault('5m'),
        /** A broker whose connection closed and that is not back within this long is suspected: its `object` partitions move before its lease lapses. Default 500ms. */
        suspectAfterDisconnect: duration.pipe(z.number().min(0)).optional(),
        /** A broker not heard from for this long is suspected. Default 3 heartbeat intervals, at most half of brokerLease. */
        suspectAfterSilence: duration.pipe(z.number().min(0)).optional(),
      })
      .strict()
      .superRefine((c, ctx) => {
        if (c.heartbeatInterval > Math.floor(c.brokerLease / 3)) ctx.addIssue({ code: 'custom', path: ['heartbeatInterval'], message: `must be at most a third of cluster.brokerLease (${Math.floor(c.brokerLease / 3)} ms)` });
        if (c.checkInterval > c.brokerLease) ctx.addIssue({ code: 'custom', path: ['checkInterval'], message: `must be at most cluster.brokerLease (${c.brokerLease} ms)` });
        if (c.suspectAfterDisconnect !== undefined && c.suspectAfterDisconnect > c.brokerLease) ctx.addIssue({ code: 'custom', path: ['suspectAfterDisconnect'], message: `must be at most cluster.brokerLease (${c.brokerLease} ms)` });
        if (c.suspectAfterSilence !== undefined && (c.suspectAfterSilence < 2 * c.heartbeatInterval || c.suspectAfterSilence > c.brokerLease)) {
          ctx.addIssue({ code: 'custom', path: ['suspectAfterSilence'], message: `must be from two heartbeat intervals (${2 * c.heartbeatInterval} ms) to cluster.brokerLease (${c.brokerLease} ms)` });
        }
      })
      .prefault({}),
    log: logSection,
    admin: adminSection,
  })
  .strict();

export type ControllerProcessConfig = z.output<typeof controllerConfigSchema>;
