// `stratus broker`'s configuration: a broker of a cluster — dev's broker-side sections
// (schema.ts) with a required node id and shared object store, plus where the controllers
// are and the broker's half of the cluster protocol (lease, hand-over, follower fetching,
// the drain on SIGTERM). Controller-side settings (retention, compaction, topic and count
// limits of the cluster) are the controller's.

import { z } from 'zod';
import {
  brokerGroupsSection,
  brokerLimitsSection,
  cacheSection,
  clusterNameSection,
  dataDirSection,
  duration,
  fetchSection,
  httpSectionOn,
  kafkaSection,
  logSection,
  metricsSection,
  saslSection,
  sharedObjectStoreSection,
  storageSection,
  topicsSection,
  tracingSectionFor,
  uploadSection,
  walSection,
  authorizationSection,
  quotasSection,
} from './schema.ts';
import { refusePlaintextExternal } from './plaintext-guard.ts';

const required = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : undefined) });

const controllerAddress = z.string().regex(/^[^\s/,]+:\d{1,5}$/, 'host:port');

export const brokerConfigSchema = z
  .object({
    node: z
      .object({ id: z.number(required('this broker\'s id, unique in the cluster')).int().min(0).max(2_147_483_647) })
      .strict()
      .prefault({} as { id: number }),
    dataDir: dataDirSection,
    clusterName: clusterNameSection,
    controller: z
      .object({
        /** gRPC address of every controller (one is active; standbys redirect to it). */
        endpoints: z.array(controllerAddress, required('the controllers\' gRPC addresses (host:port, a list)')).min(1, 'at least one controller address'),
        /** Deadline of one attempt of a controller call. */
        callTimeout: duration.pipe(z.number().min(1)).prefault('5s'),
        /** No new attempt after this long since the call began. */
        operationTimeout: duration.pipe(z.number().min(1)).prefault('15s'),
        /** How long start-up waits for the first metadata from a controller. */
        connectTimeout: duration.pipe(z.number().min(1)).prefault('30s'),
        /** TLS to the controllers (their grpc.tls): the CA to check them by, a client certificate for mTLS. Absent: plaintext. */
        tls: z
          .object({ caFile: z.string().min(1).optional(), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional(), serverName: z.string().min(1).optional() })
          .strict()
          .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together (mTLS)', path: ['certFile'] })
          .optional(),
      })
      .strict()
      .prefault({} as { endpoints: string[] }),
    kafka: kafkaSection,
    http: httpSectionOn(9644),
    tracing: tracingSectionFor('stratus-broker'),
    objectStore: sharedObjectStoreSection,
    topics: topicsSection,
    wal: walSection,
    storage: storageSection,
    upload: uploadSection,
    cache: cacheSection,
    fetch: fetchSection,
    groups: brokerGroupsSection,
    limits: brokerLimitsSection,
    metrics: metricsSection,
    /** The broker's half of the cluster protocol (services/broker/src/cluster). */
    cluster: z
      .object({
        /** The controllers' cluster.brokerLease: must not exceed it. */
        brokerLease: duration.pipe(z.number().min(100)).prefault('6s'),
        heartbeatInterval: duration.pipe(z.number().min(10)).prefault('1s'),
        /** The broker stops leading this long before its lease could lapse (clock-rate allowance). */
        safetyMargin: duration.prefault('1s'),
        /** A heartbeat or registration not answered within this counts as failed. */
        requestTimeout: duration.pipe(z.number().min(1)).prefault('2s'),
        registerBackoffBase: duration.pipe(z.number().min(1)).prefault('100ms'),
        registerBackoffMax: duration.pipe(z.number().min(1)).prefault('5s'),
        /** releasePartition attempts that fail in transit before a hand-over is given up. */
        releaseAttempts: z.number().int().min(1).max(100).default(5),
        releaseRetry: duration.pipe(z.number().min(1)).prefault('100ms'),
        /** Partitions other brokers lead kept open for follower fetching (KIP-392). */
        replicaReadMaxPartitions: z.number().int().min(0).max(1_000_000).default(1000),
        replicaReadPollInterval: duration.pipe(z.number().min(1)).prefault('250ms'),
        /** On SIGTERM: how long the broker waits for the controller to move its partitions away (then stops anyway). */
        shutdownDrainTimeout: duration.prefault('30s'),
      })
      .strict()
      .superRefine((c, ctx) => {
        if (c.safetyMargin >= c.brokerLease) ctx.addIssue({ code: 'custom', path: ['safetyMargin'], message: `must be below cluster.brokerLease (${c.brokerLease} ms)` });
        else if (c.heartbeatInterval >= c.brokerLease - c.safetyMargin) {
          ctx.addIssue({ code: 'custom', path: ['heartbeatInterval'], message: `must be below cluster.brokerLease - cluster.safetyMargin (${c.brokerLease - c.safetyMargin} ms), or every lease lapses` });
        }
        if (c.registerBackoffMax < c.registerBackoffBase) ctx.addIssue({ code: 'custom', path: ['registerBackoffMax'], message: `must be at least cluster.registerBackoffBase (${c.registerBackoffBase} ms)` });
      })
      .prefault({}),
    log: logSection,
    authorization: authorizationSection,
    sasl: saslSection,
    quotas: quotasSection,
  })
  .strict()
  .superRefine(refusePlaintextExternal);

export type BrokerProcessConfig = z.output<typeof brokerConfigSchema>;
