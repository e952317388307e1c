// What the generator needs to know about the broker under test: the versions it serves
// (its ApiVersions answer), its request size limit, the fuzz topics with their ids, and
// for issue 9's categories its size limits, timeouts and clock, and the special topics
// (small max.message.bytes, one at the storage limit, timestamp bounds, LogAppendTime,
// a few MiB of data to fetch). The same context (same broker build, same topics) gives
// the same case bytes for a seed and index; only topic ids and the clock differ between
// runs — a timestamp case is relative to the context's clock, so it means the same.

import { TOPIC_CONFIG_KEYS } from '@stratus/controller';
import { ApiKey, apiSpecs, buildRecordBatch, ErrorCode } from '@stratus/protocol';
import { maxBatchBytes } from '@stratus/storage';
import { WAL_DEFAULTS } from '@stratus/wal';
import type { SpecialTopics } from './batch-cases.ts';
import type { FuzzContext, FuzzLimits, ListenerTimeouts } from './generator.ts';
import { request } from './wire.ts';

const MiB = 1024 * 1024;

/** socket.request.max.bytes of the broker under test (the default, set explicitly). */
export const MAX_REQUEST_BYTES = 100 * MiB;
/** topics.maxDecompressedBatchBytes: the smallest allowed, so batches around it are cheap to send and check. */
export const MAX_DECOMPRESSED_BYTES = MiB;
/** The slow-client timeouts, short so that slow senders are closed within a run. */
const RECEIVE_TIMEOUT_MS = 2_000;
const STALL_TIMEOUT_MS = 2_000;
const IDLE_TIMEOUT_MS = 3_000;
const PENDING_BYTES = 64 * MiB;

/** Settings of the broker under test: its limits, and short waits so few valid requests park a connection. */
export const FUZZ_BROKER_ENV: Readonly<Record<string, string>> = {
  STRATUS_LOG_LEVEL: 'warn',
  STRATUS_KAFKA_SOCKET_REQUEST_MAX_BYTES: String(MAX_REQUEST_BYTES),
  STRATUS_FETCH_MAX_WAIT: '500ms',
  STRATUS_GROUPS_INITIAL_REBALANCE_DELAY: '100ms',
  STRATUS_GROUPS_MAX_SESSION_TIMEOUT: '30s',
  // Explicit, smaller memory budgets: the RSS bound below then checks that the broker
  // stays within what it was given, with room to spare on a loaded CI machine.
  STRATUS_CACHE_MEMORY_BYTES: String(64 * MiB),
  STRATUS_STORAGE_TAIL_BYTES: String(32 * MiB),
  STRATUS_STORAGE_PENDING_BYTES: String(PENDING_BYTES),
  STRATUS_TOPICS_MAX_DECOMPRESSED_BATCH_BYTES: String(MAX_DECOMPRESSED_BYTES),
  STRATUS_KAFKA_REQUEST_RECEIVE_TIMEOUT: `${RECEIVE_TIMEOUT_MS}ms`,
  STRATUS_KAFKA_RESPONSE_STALL_TIMEOUT: `${STALL_TIMEOUT_MS}ms`,
  STRATUS_KAFKA_CONNECTIONS_MAX_IDLE: `${IDLE_TIMEOUT_MS}ms`,
};

export const FUZZ_TOPICS: readonly string[] = ['fuzz-t0', 'fuzz-t1', 'fuzz-t2'];
export const FUZZ_GROUPS: readonly string[] = ['fuzz-g0', 'fuzz-g1', 'fuzz-g2'];
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const DAY_MS = 86_400_000;

/** The largest batch the fuzzed broker's storage holds (its WAL record, its pending budget). */
const STORAGE_MAX_BATCH_BYTES = maxBatchBytes({ walMaxRecordBytes: WAL_DEFAULTS.maxRecordBytes, pendingBytes: PENDING_BYTES });

export const SPECIAL_TOPICS: SpecialTopics = {
  plain: { name: 'fuzz-batches', partitions: 3 },
  small: { name: 'fuzz-small', partitions: 2, maxMessageBytes: 20_000 },
  roomy: { name: 'fuzz-roomy', partitions: 1, maxMessageBytes: STORAGE_MAX_BATCH_BYTES },
  bounded: { name: 'fuzz-bounded-time', partitions: 2, beforeMaxMs: DAY_MS, afterMaxMs: 30 * 60_000 },
  logAppendTime: { name: 'fuzz-log-append-time', partitions: 1 },
  bulk: { name: 'fuzz-bulk', partitions: 1 },
};
/** What fuzz-bulk holds: enough that unread Fetch answers fill a loopback socket's buffers. */
const BULK_BATCHES = 4;

function specialTopicConfigs(): { name: string; numPartitions: number; configs: { name: string; value: string }[] }[] {
  const t = SPECIAL_TOPICS;
  return [
    { name: t.plain.name, numPartitions: t.plain.partitions, configs: [] },
    { name: t.small.name, numPartitions: t.small.partitions, configs: [{ name: 'max.message.bytes', value: String(t.small.maxMessageBytes) }] },
    { name: t.roomy.name, numPartitions: t.roomy.partitions, configs: [{ name: 'max.message.bytes', value: String(t.roomy.maxMessageBytes) }] },
    {
      name: t.bounded.name,
      numPartitions: t.bounded.partitions,
      configs: [
        { name: 'message.timestamp.before.max.ms', value: String(t.bounded.beforeMaxMs) },
        { name: 'message.timestamp.after.max.ms', value: String(t.bounded.afterMaxMs) },
      ],
    },
    { name: t.logAppendTime.name, numPartitions: t.logAppendTime.partitions, configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
    { name: t.bulk.name, numPartitions: t.bulk.partitions, configs: [] },
  ];
}

/** A duration as `stratus dev` reads it (500ms, 2s, 1m), in ms. */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m)$/.exec(text.trim());
  if (m === null) throw new Error(`cannot read the duration ${text} (use ms, s or m)`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
}

/**
 * The broker's limits as the fuzz categories need them, from the settings it runs with
 * (FUZZ_BROKER_ENV and any STRATUS_FUZZ_BROKER_ENV overrides).
 */
export function fuzzLimits(env: Readonly<Record<string, string>> = FUZZ_BROKER_ENV, nowMs = Date.now()): FuzzLimits {
  const ms = (key: string, fallback: number): number => {
    const text = env[key];
    return text === undefined ? fallback : durationMs(text);
  };
  const timeouts = {
    receiveMs: ms('STRATUS_KAFKA_REQUEST_RECEIVE_TIMEOUT', 30_000),
    stallMs: ms('STRATUS_KAFKA_RESPONSE_STALL_TIMEOUT', 30_000),
    idleMs: ms('STRATUS_KAFKA_CONNECTIONS_MAX_IDLE', 600_000),
  };
  const sweepMs = Math.min(1_000, timeouts.receiveMs, timeouts.stallMs, timeouts.idleMs);
  const listener: ListenerTimeouts = { ...timeouts, sweepMs };
  return {
    nowMs,
    maxMessageBytes: Number(env['STRATUS_TOPICS_MAX_MESSAGE_BYTES'] ?? TOPIC_CONFIG_KEYS.get('max.message.bytes')!.defaultValue),
    maxDecompressedBytes: Number(env['STRATUS_TOPICS_MAX_DECOMPRESSED_BATCH_BYTES'] ?? 64 * MiB),
    defaultAfterMaxMs: Number(TOPIC_CONFIG_KEYS.get('message.timestamp.after.max.ms')!.defaultValue),
    topics: SPECIAL_TOPICS,
    timeouts: listener,
  };
}

/** Creates the topics issue 9's categories use; fills fuzz-bulk when it is new. */
async function createSpecialTopics(host: string, port: number): Promise<void> {
  const created = await request(host, port, ApiKey.CreateTopics, 7, {
    topics: specialTopicConfigs().map((t) => ({ ...t, replicationFactor: -1, assignments: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
  for (const t of created.topics) {
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`creating ${t.name}: error ${t.errorCode} ${t.errorMessage}`);
  }
  if (created.topics.find((t) => t.name === SPECIAL_TOPICS.bulk.name)?.errorCode !== ErrorCode.NONE) return;
  const value = Buffer.alloc(MiB - 1024, 0x5a);
  for (let i = 0; i < BULK_BATCHES; i++) {
    const r = await request(host, port, ApiKey.Produce, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: SPECIAL_TOPICS.bulk.name, partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ value }] }) }] }],
    });
    const code = r.responses[0]?.partitionResponses[0]?.errorCode;
    if (code !== ErrorCode.NONE) throw new Error(`filling ${SPECIAL_TOPICS.bulk.name}: error ${code}`);
  }
}

/**
 * Creates the fuzz topics (3 partitions each) and the special ones if needed, and reads
 * the broker's versions and topic ids. `limits` must describe the broker's settings.
 */
export async function brokerContext(host: string, port: number, maxRequestBytes = MAX_REQUEST_BYTES, limits: FuzzLimits = fuzzLimits()): Promise<FuzzContext> {
  const created = await request(host, port, ApiKey.CreateTopics, 7, {
    topics: FUZZ_TOPICS.map((name) => ({ name, numPartitions: 3, replicationFactor: -1, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
  for (const t of created.topics) {
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`creating ${t.name}: error ${t.errorCode} ${t.errorMessage}`);
  }
  await createSpecialTopics(host, port);
  const versions = await request(host, port, ApiKey.ApiVersions, 3, { clientSoftwareName: 'stratus-fuzz', clientSoftwareVersion: '1' });
  if (versions.errorCode !== ErrorCode.NONE) throw new Error(`ApiVersions: error ${versions.errorCode}`);
  const md = await request(host, port, ApiKey.Metadata, 12, {
    topics: FUZZ_TOPICS.map((name) => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation: false,
    includeTopicAuthorizedOperations: false,
  });
  return {
    pools: { topics: FUZZ_TOPICS, topicIds: md.topics.map((t) => t.topicId), groups: FUZZ_GROUPS },
    served: new Map(versions.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion] as const])),
    maxRequestBytes,
    limits: { ...limits, nowMs: Date.now() },
  };
}

/** A context without a broker: every API served at every version the codec knows. */
export function offlineContext(maxRequestBytes = MAX_REQUEST_BYTES): FuzzContext {
  return {
    pools: { topics: FUZZ_TOPICS, topicIds: ['AAAAAAAAAAAAAAAAAAAAAQ', 'AAAAAAAAAAAAAAAAAAAAAg'], groups: FUZZ_GROUPS },
    served: new Map([...apiSpecs.values()].map((a) => [a.apiKey, a.request.valid] as const)),
    maxRequestBytes,
    limits: fuzzLimits(FUZZ_BROKER_ENV, Date.UTC(2025, 0, 1)),
  };
}
