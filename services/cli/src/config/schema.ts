// The configuration of the stratus command, as validated schemas made of shared
// sections: `stratus dev` takes every section (configSchema below), `stratus broker`
// (broker-schema.ts) and `stratus controller` (controller-schema.ts) the sections and
// parts of sections their process uses, so all three validate the same keys the same way
// and with the same messages. Every limit a process has is here, with its default; a bad
// value fails start-up with a message that names the key. Sizes are bytes, durations are
// strings (see duration.ts) turned into milliseconds.

import { z } from 'zod';
import { OAUTHBEARER_ALGORITHMS, parseConnectionsPerIpOverrides, SslPrincipalMapper, UNLIMITED_CONNECTIONS_PER_IP } from '@stratus/broker';
import { parseDurationMs } from './duration.ts';
import { DEFAULT_KAFKA_HOST, DEFAULT_KAFKA_PORT, resolveListeners, SSL_CLIENT_AUTH } from './listeners.ts';
import type { KafkaListener } from './listeners.ts';
import { refusePlaintextExternal } from './plaintext-guard.ts';

export const bytes = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
export const port = z.number().int().min(0).max(65535);
export const duration = z.string().transform((s, ctx) => {
  const ms = parseDurationMs(s);
  if (typeof ms === 'string') {
    ctx.addIssue({ code: 'custom', message: ms });
    return z.NEVER;
  }
  return ms;
});

export const MiB = 1024 * 1024;
export const DAY_MS = 86_400_000;

export const nodeSection = z.object({ id: z.number().int().min(0).max(2_147_483_647).default(1) }).prefault({});

export const dataDirSection = z.string().min(1).default('./data');

export const clusterNameSection = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').default('stratus');

/** Kafka's ssl.principal.mapping.rules, checked by the broker's own parser. */
const principalMappingRules = z.string().superRefine((rules, ctx) => {
  try {
    new SslPrincipalMapper(rules);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});

/** The TLS keys one listener may override (kafka.listenerSsl.<NAME>). */
const listenerSslKeys = z
  .object({
    /** PEM: the broker's certificate, then its intermediates (Kafka's ssl.keystore.* with type PEM). */
    certFile: z.string().min(1).optional(),
    /** PEM: its private key, unencrypted. */
    keyFile: z.string().min(1).optional(),
    /** PEM: the CA client certificates must chain to (Kafka's ssl.truststore.*). Unset: Node's default roots. */
    caFile: z.string().min(1).optional(),
    /** Kafka's ssl.client.auth: none, requested (a certificate if the client has one), required (mTLS). */
    clientAuth: z.enum(SSL_CLIENT_AUTH).optional(),
    /** Kafka's ssl.principal.mapping.rules: RULE:pattern/replacement/[LU],...,DEFAULT. */
    principalMappingRules: principalMappingRules.optional(),
  })
  .strict();

/** kafka.ssl: the TLS of every SSL and SASL_SSL listener, unless kafka.listenerSsl overrides a key. */
export const kafkaSslSection = listenerSslKeys
  .extend({
    /** How often the PEM files are checked for a change (cert-manager rotation); 0 never. */
    reloadInterval: duration.prefault('30s'),
    /** A TLS handshake must finish within this after the connection is accepted. */
    handshakeTimeout: duration.pipe(z.number().min(1)).prefault('10s'),
  })
  .strict()
  .prefault({});

export const kafkaSection = z
  .object({
    /**
     * The one listener's interface and port when `listeners` is unset (default
     * 127.0.0.1:9092, the listener PLAINTEXT); with `listeners`, host is where a listener
     * written without a host (NAME://:9092) binds, and port cannot be given (listeners.ts).
     */
    host: z.string().min(1).optional().describe('The one listener\'s interface (default 127.0.0.1); with listeners, where NAME://:port binds'),
    port: port.optional().describe('The one listener\'s port (default 9092); not with listeners'),
    /** What clients of the one listener are told (default: host/port); not with the lists below. */
    advertisedHost: z.string().min(1).optional(),
    advertisedPort: port.optional(),
    /** Kafka's listeners: NAME://host:port,... — a socket each; names [A-Z][A-Z0-9_]*, ports unique. */
    listeners: z.string().min(1).optional().describe('NAME://host:port,... (Kafka\'s listeners); unset: PLAINTEXT at host:port'),
    /** Kafka's advertised.listeners: what clients connecting through each listener are told; needed for one bound to 0.0.0.0 or ::. */
    advertisedListeners: z.string().min(1).optional().describe('NAME://host:port,... told to the clients of each listener (Kafka\'s advertised.listeners)'),
    /** Kafka's listener.security.protocol.map: NAME:PROTOCOL,... Unset: a listener named like a protocol has it, others PLAINTEXT (listeners.ts). */
    listenerSecurityProtocolMap: z.string().min(1).optional().describe('NAME:PROTOCOL,... (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; Kafka\'s listener.security.protocol.map)'),
    /** TLS of the SSL and SASL_SSL listeners (docs/security.md). */
    ssl: kafkaSslSection,
    /** Start even though a PLAINTEXT listener binds beyond loopback (config/plaintext-guard.ts): plaintext is intended, e.g. on a private network. */
    allowPlaintextExternal: z.boolean().default(false).describe('Allow a PLAINTEXT listener on an address beyond loopback (refused otherwise: anyone who reaches it can do anything)'),
    /** Per-listener TLS overrides, by listener name (Kafka's listener.name.<name>.ssl.*); config file only. */
    listenerSsl: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a listener name'), listenerSslKeys).default({}),
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
    for (const p of resolveListeners(k).problems) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
  })
  // Out: host and port with their defaults, and `listeners` resolved — every listener with
  // its bound and advertised address, in order (the lists as written are not kept).
  .transform(({ listeners: _listeners, advertisedListeners: _advertised, listenerSecurityProtocolMap: _map, listenerSsl: _listenerSsl, ...k }) => ({
    ...k,
    host: k.host ?? DEFAULT_KAFKA_HOST,
    port: k.port ?? DEFAULT_KAFKA_PORT,
    listeners: resolveListeners({ ...k, listeners: _listeners, advertisedListeners: _advertised, listenerSecurityProtocolMap: _map, listenerSsl: _listenerSsl }).listeners as readonly KafkaListener[],
  }))
  .prefault({});

/** http.tls: https on the HTTP port (docs/security.md, Controllers and the admin API; the server is http-tls.ts). */
const httpTlsSection = z
  .object({
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    /** The CA client certificates must chain to (clientAuth requested or required). */
    caFile: z.string().min(1).optional(),
    /** none (default); requested; required: every path but /livez and /readyz needs a client certificate from caFile (probes present none). */
    clientAuth: z.enum(SSL_CLIENT_AUTH).optional(),
    /** How often the PEM files are checked for a change (cert-manager rotation); 0 never. Default 30s. */
    reloadInterval: duration.optional(),
  })
  .strict()
  .refine((t) => (t.clientAuth ?? 'none') === 'none' || t.caFile !== undefined, { message: 'clientAuth requested or required needs caFile', path: ['caFile'] });

/** The HTTP port (/livez, /readyz, /metrics), defaulting to `defaultPort`. */
export const httpSectionOn = (defaultPort: number) =>
  z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(defaultPort),
      /** https instead of http; unset: plain http. */
      tls: httpTlsSection.optional(),
    })
    .strict()
    .prefault({});

export const httpSection = httpSectionOn(9644);

const objectStoreShape = {
  /** Defaults to file://<dataDir>/objects. */
  url: z.string().min(1).optional(),
  requestTimeout: duration.prefault('30s'),
  maxAttempts: z.number().int().min(1).max(100).default(5),
};

export const objectStoreSection = z.object(objectStoreShape).strict().prefault({});

/** A cluster's processes share one object store: its URL must be given. */
export const sharedObjectStoreSection = z
  .object({ ...objectStoreShape, url: z.string({ error: 'required: the object store every broker and controller shares (s3://, gs://, file://)' }).min(1) })
  .strict()
  // An absent section validates as an empty one, so the error names objectStore.url (the cast: zod types a prefault as valid input).
  .prefault({} as { url: string });

/** What the controller holds for the cluster (the broker config resource); brokers read the same keys. */
const clusterTopicsShape = {
  autoCreate: z.boolean().default(true),
  defaultPartitions: z.number().int().min(1).max(10_000).default(1),
  /**
   * Kafka's message.max.bytes: max.message.bytes of topics that do not set it. At most
   * the largest batch the storage holds (wal.segmentBytes and storage.pendingBytes bound it).
   */
  maxMessageBytes: z.number().int().min(0).max(2_147_483_647).default(1_048_588),
};

export const controllerTopicsSection = z.object(clusterTopicsShape).strict().prefault({});

export const topicsSection = z
  .object({
    ...clusterTopicsShape,
    /**
     * Most bytes one produced batch may decompress to while the broker checks its
     * records (as Kafka's log validator does); a larger one is MESSAGE_TOO_LARGE. Bounds
     * the memory a small compressed "bomb" can take.
     */
    maxDecompressedBatchBytes: bytes(MiB, 2 ** 31 - 1).default(64 * MiB),
  })
  .strict()
  .prefault({});

export const walSection = z
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
  .prefault({});

export const storageSection = z
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
  .prefault({});

export const uploadSection = z
  .object({
    maxBytes: bytes(64 * 1024).default(8 * MiB),
    maxDelay: duration.prefault('500ms'),
    urgentDelay: duration.prefault('20ms'),
    // Objects PUT at once, committed in order (UploaderOptions.maxConcurrentUploads).
    maxConcurrent: z.number().int().min(1).max(64).default(1),
  })
  .strict()
  .prefault({});

export const cacheSection = z
  .object({
    memoryBytes: bytes(0).default(256 * MiB),
    diskBytes: bytes(0).default(0),
    blockBytes: bytes(64 * 1024).default(MiB),
  })
  .strict()
  .prefault({});

export const fetchSection = z
  .object({
    maxBytes: bytes(1024).default(55 * MiB),
    maxWait: duration.prefault('30s'),
    /** A partition's read that takes longer (the object store is down or slow) is answered KAFKA_STORAGE_ERROR, which clients retry. */
    readTimeout: duration.prefault('10s'),
  })
  .strict()
  .prefault({});

const offsetsRetentionShape = {
  /**
   * Kafka's offsets.retention.minutes: committed offsets of a group without members
   * expire this long after it became empty (or after their commit, if later); a
   * Stable consumer group's offsets of topics it no longer subscribes to, this long
   * after their commit. At least 1m, as in Kafka.
   */
  offsetsRetention: duration.pipe(z.number().min(60_000, 'must be at least 1m')).prefault('7d'),
};

export const controllerGroupsSection = z.object(offsetsRetentionShape).strict().prefault({});

const groupsShape = {
  minSessionTimeout: duration.prefault('6s'),
  maxSessionTimeout: duration.prefault('30m'),
  /**
   * How long a new group waits for more members before its first rebalance. Unset:
   * 0 in `stratus dev` (as Kafka's own example configuration has it: a laptop group
   * joins at once); a cluster would use Kafka's broker default of 3s.
   */
  initialRebalanceDelay: duration.optional(),
  ...offsetsRetentionShape,
};

export const groupsSection = z.object(groupsShape).strict().prefault({});

/** A broker of a cluster: what dev takes, and how often Empty groups without offsets are forgotten (dev: retention.checkInterval). */
export const brokerGroupsSection = z
  .object({ ...groupsShape, emptyGroupCleanupInterval: duration.pipe(z.number().min(1_000, 'must be at least 1s')).prefault('5m') })
  .strict()
  .prefault({});

export const retentionSection = z
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
  .prefault({});

/**
 * Object compaction: merges of small extents (many uploads' worth of a partition) into
 * one, packed into objects of targetObjectBytes, so the partition index keeps few
 * extents per partition however long the cluster runs.
 */
export const compactionSection = z
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
  .prefault({});

/**
 * Count limits. Reaching one refuses what would go beyond it with a specific Kafka
 * error (config/dev.yaml names each), never UNKNOWN_SERVER_ERROR.
 */
const controllerLimitsShape = {
  /** Topics in the cluster (CreateTopics and auto-creation: POLICY_VIOLATION). */
  maxTopics: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Partitions of all topics together (CreateTopics, CreatePartitions: INVALID_PARTITIONS). */
  maxPartitions: z.number().int().min(1).max(10_000_000).default(100_000),
  /** Partitions of one topic (INVALID_PARTITIONS); topics.defaultPartitions must fit. */
  maxPartitionsPerTopic: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Committed offsets of all groups together (OffsetCommit: INVALID_COMMIT_OFFSET_SIZE). */
  maxCommittedOffsets: z.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Kafka ACLs stored (CreateAcls beyond: POLICY_VIOLATION); bounds every broker's copy and each authorization check. */
  maxAcls: z.number().int().min(1).max(1_000_000).default(10_000),
  /** SCRAM credentials stored, users × mechanisms (AlterUserScramCredentials beyond: POLICY_VIOLATION). */
  maxScramCredentials: z.number().int().min(1).max(10_000_000).default(100_000),
};

const brokerLimitsShape = {
  /** Groups the coordinator holds, Empty ones evicted first (JoinGroup: GROUP_MAX_SIZE_REACHED). */
  maxGroups: z.number().int().min(1).max(10_000_000).default(10_000),
  /** Kafka's group.max.size: members of one group (JoinGroup: GROUP_MAX_SIZE_REACHED). */
  maxGroupSize: z.number().int().min(1).max(1_000_000).default(1_000),
  /** Idempotent producers a led partition remembers; beyond, the least recently written is forgotten (no error). */
  maxProducersPerPartition: z.number().int().min(1).max(1_000_000).default(10_000),
};

export const limitsSection = z.object({ ...controllerLimitsShape, ...brokerLimitsShape }).strict().prefault({});
export const controllerLimitsSection = z.object(controllerLimitsShape).strict().prefault({});
export const brokerLimitsSection = z.object(brokerLimitsShape).strict().prefault({});

/**
 * OpenTelemetry traces (services/cli/src/tracing/): off unless otlpEndpoint is set, and
 * then spans of produce, uploads, cache-miss GETs and controller RPCs go to an OTLP/HTTP
 * collector. `serviceName` defaults to the process's kind (stratus-dev, -broker, -controller).
 */
export const tracingSectionFor = (defaultServiceName: string) =>
  z
    .object({
      /** OTLP/HTTP (protobuf) base URL, e.g. http://otel-collector:4318; spans go to <url>/v1/traces. Unset: tracing off, at no cost. */
      otlpEndpoint: z.string().regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL').optional().describe('OTLP/HTTP collector base URL (spans to <url>/v1/traces); unset: tracing off'),
      /** Share of traces kept (decided at the root, followed across processes): 1 keeps all; lower it under heavy load. */
      samplingRatio: z.number().min(0).max(1).default(1),
      serviceName: z.string().min(1).default(defaultServiceName),
    })
    .strict()
    .prefault({});

/**
 * What the Prometheus metrics at /metrics may grow to, and the prices their cost gauges use
 * (services/cli/src/metrics/limits.ts). Every label whose values come from clients or data
 * is bounded here; beyond a limit values share one series or are counted as left out.
 * Prices default to Amazon S3 Standard list prices (us-east-1, https://aws.amazon.com/s3/pricing/).
 */
export const metricsSection = z
  .object({
    /** Topics with their own series in the per-topic byte and record counters; the rest share topic="_other". */
    maxTopics: z.number().int().min(0).max(100_000).default(200),
    /** (API, error code) pairs with their own series in stratus_kafka_request_errors_total; the rest share code="_other". */
    maxErrorSeries: z.number().int().min(0).max(100_000).default(200),
    /** Consumer groups whose lag a broker computes at each scrape (of those its coordinator holds). */
    maxLagGroups: z.number().int().min(0).max(100_000).default(100),
    /** Partition lag series at a scrape, all groups together (the rest counted in stratus_consumer_group_lag_dropped). */
    maxLagPartitions: z.number().int().min(0).max(1_000_000).default(2000),
    /** Object-store prices in dollars for the cost gauges (default: S3 Standard, $0.005 per 1,000 PUTs, $0.0004 per 1,000 GETs, $0.023 per GB-month). */
    prices: z
      .object({
        putPer1000: z.number().min(0).default(0.005),
        getPer1000: z.number().min(0).default(0.0004),
        storagePerGbMonth: z.number().min(0).default(0.023),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const logSection = z
  .object({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
    pretty: z.boolean().default(false),
  })
  .strict()
  .prefault({});

/** Settings whose values are secrets: a problem with one is reported without echoing the value (load.ts). */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set(['admin.apiToken', 'sasl.adminPassword', 'sasl.users']);

/**
 * The admin REST API under /api/v1/ on the HTTP port of a process that runs the controller
 * (services/cli/src/rest/). Without apiToken it is read-only: every write answers 403.
 */
export const adminSection = z
  .object({
    /** Bearer token every write must carry (Authorization: Bearer <token>); unset: the API is read-only. Secret: prefer STRATUS_ADMIN_API_TOKEN. */
    apiToken: z.string().min(16, 'at least 16 characters (e.g. openssl rand -hex 32)').optional().describe('Bearer token for the admin REST API\'s writes; unset: read-only'),
    /** Largest request body accepted (413 beyond). */
    maxBodyBytes: bytes(1024, 64 * MiB).default(MiB),
    /** A request not answered within this gets 504 (an operation already started may still complete). */
    requestTimeout: duration.pipe(z.number().min(1)).prefault('30s'),
  })
  .strict()
  .prefault({});

/**
 * OAUTHBEARER (docs/security.md, OAUTHBEARER): JWTs verified against a JWKS — a file or an
 * https:// URL — with the issuer, audience, exp/iat/nbf and algorithm checked (Kafka's
 * sasl.oauthbearer.* settings). Issuer and audience are required: without them a token
 * any tenant of the same identity provider obtains would do.
 */
const oauthbearerSection = z
  .object({
    /** A JWKS file (re-read when it changes); or jwksUrl. */
    jwksFile: z.string().min(1).optional(),
    /** A JWKS URL (sasl.oauthbearer.jwks.endpoint.url): https://, or http:// to a loopback address. */
    jwksUrl: z.string().regex(/^https?:\/\//, 'an https:// URL').optional(),
    /** sasl.oauthbearer.expected.issuer: the token's iss. */
    issuer: z.string().min(1),
    /** sasl.oauthbearer.expected.audience: the token's aud must name one of these. */
    audience: z.array(z.string().min(1)).min(1),
    /** sasl.oauthbearer.sub.claim.name: the claim that is the principal's name (User:<value>). */
    subClaim: z.string().min(1).default('sub'),
    /** sasl.oauthbearer.scope.claim.name. */
    scopeClaim: z.string().min(1).default('scope'),
    /** sasl.oauthbearer.clock.skew.seconds: tolerance on exp and nbf. */
    clockSkew: duration.pipe(z.number().min(0).max(600_000)).prefault('30s'),
    /** Signature algorithms a token may use (asymmetric only; never none). */
    allowedAlgorithms: z.array(z.enum(OAUTHBEARER_ALGORITHMS)).min(1).default([...OAUTHBEARER_ALGORITHMS]),
    /** A JWKS URL that has not answered within this fails the authentication. */
    jwksTimeout: duration.pipe(z.number().min(100)).prefault('5s'),
    /** sasl.oauthbearer.jwks.endpoint.refresh.ms: fetched keys are fetched again after this (and when a token names an unknown key). */
    jwksRefresh: duration.pipe(z.number().min(1000)).prefault('1h'),
  })
  .strict()
  .refine((c) => (c.jwksFile === undefined) !== (c.jwksUrl === undefined), { message: 'set one of sasl.oauthbearer.jwksFile and sasl.oauthbearer.jwksUrl', path: ['jwksFile'] });

/**
 * SASL authentication on the broker (docs/security.md, SASL): PLAIN and SCRAM-SHA-256/512
 * with Kafka's SaslHandshake/SaslAuthenticate, KIP-368 re-authentication. Users come from
 * here (bootstrap) and are hashed at start into SCRAM credentials; no password is kept.
 */
export const saslSection = z
  .object({
    /**
     * Listeners (by name, of kafka.listeners; the default one is PLAINTEXT) whose clients must
     * authenticate with SASL — Kafka's SASL_PLAINTEXT. Empty: SASL is off, nothing changes.
     */
    listeners: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a listener name (upper-case letters, digits and _)')).default([]).describe('Listeners whose clients must authenticate with SASL (SASL_PLAINTEXT)'),
    /** Enabled mechanisms (Kafka's sasl.enabled.mechanisms). PLAIN sends the password as written: enable it over TLS only. */
    mechanisms: z.array(z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'])).min(1).default(['SCRAM-SHA-256', 'SCRAM-SHA-512']),
    /** Bearer tokens (JWTs) for OAUTHBEARER; required when it is enabled. */
    oauthbearer: oauthbearerSection.optional(),
    /** A bootstrap user (STRATUS_SASL_ADMIN_USER), with adminPassword. */
    adminUser: z.string().min(1).optional(),
    /** Its password (STRATUS_SASL_ADMIN_PASSWORD; secret: prefer the env variable). */
    adminPassword: z.string().min(8, 'at least 8 characters').optional(),
    /** More bootstrap users (config file only; secrets). */
    users: z.array(z.object({ name: z.string().min(1), password: z.string().min(8, 'at least 8 characters') }).strict()).default([]),
    /** PBKDF2 iterations of the SCRAM credentials made at start (RFC 7677: at least 4096). */
    scramIterations: z.number().int().min(4096).max(1_000_000).default(4096),
    /** connections.max.reauth.ms: a session's longest life; clients re-authenticate before it ends or are disconnected. Unset: no limit. */
    maxReauth: duration.pipe(z.number().min(1)).optional(),
    /** connection.failed.authentication.delay.ms: how long a failed authentication's answer is held back. */
    failedAuthenticationDelay: duration.prefault('100ms'),
    /** Failed authentications one client address may have per failureWindow; beyond, its attempts fail unchecked until the window ends. */
    maxFailuresPerAddress: z.number().int().min(1).default(10),
    failureWindow: duration.pipe(z.number().min(1)).prefault('1m'),
    /** sasl.server.max.receive.size: the largest frame a connection that has not authenticated yet may send; larger closes it unread. */
    maxReceiveSize: bytes(1024, 100 * MiB).default(512 * 1024),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.adminUser === undefined) !== (c.adminPassword === undefined)) ctx.addIssue({ code: 'custom', path: [c.adminUser === undefined ? 'adminUser' : 'adminPassword'], message: 'sasl.adminUser and sasl.adminPassword go together' });
    if (c.mechanisms.includes('OAUTHBEARER') && c.oauthbearer === undefined) ctx.addIssue({ code: 'custom', path: ['oauthbearer'], message: 'OAUTHBEARER in sasl.mechanisms needs sasl.oauthbearer (jwksFile or jwksUrl, issuer, audience)' });
    const needsUsers = c.mechanisms.some((m) => m !== 'OAUTHBEARER');
    if (needsUsers && c.listeners.length > 0 && c.adminUser === undefined && c.users.length === 0) ctx.addIssue({ code: 'custom', path: ['listeners'], message: 'SASL listeners need a user: set sasl.adminUser and sasl.adminPassword, or sasl.users' });
  })
  .prefault({});

/**
 * Kafka ACLs (docs/security.md, ACLs): the broker's authorizer. Off (the default), every
 * request is served as before and CreateAcls/DescribeAcls/DeleteAcls answer
 * SECURITY_DISABLED. On, every request is checked against the ACLs stored in the
 * controller, as Kafka's StandardAuthorizer does.
 */
export const authorizationSection = z
  .object({
    /** Check every request against the ACLs (Kafka's authorizer.class.name set). */
    enabled: z.boolean().default(false).describe('Authorize every request against the Kafka ACLs stored in the controller'),
    /** super.users: principals allowed everything (User:admin). */
    superUsers: z.array(z.string().regex(/^[^:]+:.+$/, 'a principal TYPE:NAME, e.g. User:admin')).default([]),
    /** allow.everyone.if.no.acl.found: a resource no ACL applies to is open to all. Kafka's default, and ours: false (default deny). */
    allowEveryoneIfNoAclFound: z.boolean().default(false),
  })
  .strict()
  .prefault({});

/**
 * Client quotas on the broker: how rates are measured (Kafka's quota.window.num and
 * quota.window.size.seconds) and bounds. The quotas themselves are stored in the controller
 * (kafka-configs.sh --alter --entity-type users/clients).
 */
export const quotasSection = z
  .object({
    /** quota.window.num: samples a rate is measured over (Kafka: 11). */
    windowSamples: z.number().int().min(2).max(100).default(11),
    /** quota.window.size.seconds: the length of each sample (Kafka: 1 s). */
    windowSize: duration.pipe(z.number().int().min(10).max(3_600_000)).prefault('1s'),
    /** Quota sensors kept per quota type at most (the least recently used dropped first). */
    maxSensors: z.number().int().min(1).max(1_000_000).default(10_000),
    /** Entities with per-entity quota metrics at most (the most throttled first). */
    metricsEntities: z.number().int().min(0).max(100_000).default(1_000),
  })
  .strict()
  .prefault({});

/** `stratus dev`: every section (one process is controller and broker). */
export const configSchema = z
  .object({
    node: nodeSection,
    dataDir: dataDirSection,
    clusterName: clusterNameSection,
    kafka: kafkaSection,
    http: httpSection,
    tracing: tracingSectionFor('stratus-dev'),
    objectStore: objectStoreSection,
    topics: topicsSection,
    wal: walSection,
    storage: storageSection,
    upload: uploadSection,
    cache: cacheSection,
    fetch: fetchSection,
    groups: groupsSection,
    retention: retentionSection,
    compaction: compactionSection,
    limits: limitsSection,
    metrics: metricsSection,
    log: logSection,
    admin: adminSection,
    authorization: authorizationSection,
    sasl: saslSection,
    quotas: quotasSection,
  })
  .strict()
  .superRefine(refusePlaintextExternal);

export type StratusConfig = z.output<typeof configSchema>;
export type StratusConfigInput = z.input<typeof configSchema>;
