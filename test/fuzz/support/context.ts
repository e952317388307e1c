// What the generator needs to know about the broker under test: the versions it serves
// (its ApiVersions answer), its request size limit, and the fuzz topics with their ids.
// The same context (same broker build, same topics) gives the same case bytes for a
// seed and index; only topic ids differ between runs, and only cases that use them.

import { ApiKey, apiSpecs, ErrorCode } from '@stratus/protocol';
import type { FuzzContext } from './generator.ts';
import { request } from './wire.ts';

/** socket.request.max.bytes of the broker under test (the default, set explicitly). */
export const MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/** Settings of the broker under test: its limits, and short waits so few valid requests park a connection. */
export const FUZZ_BROKER_ENV: Readonly<Record<string, string>> = {
  STRATUS_LOG_LEVEL: 'warn',
  STRATUS_KAFKA_SOCKET_REQUEST_MAX_BYTES: String(MAX_REQUEST_BYTES),
  STRATUS_FETCH_MAX_WAIT: '500ms',
  STRATUS_GROUPS_INITIAL_REBALANCE_DELAY: '100ms',
  STRATUS_GROUPS_MAX_SESSION_TIMEOUT: '30s',
  // Explicit, smaller memory budgets: the RSS bound below then checks that the broker
  // stays within what it was given, with room to spare on a loaded CI machine.
  STRATUS_CACHE_MEMORY_BYTES: String(64 * 1024 * 1024),
  STRATUS_STORAGE_TAIL_BYTES: String(32 * 1024 * 1024),
  STRATUS_STORAGE_PENDING_BYTES: String(64 * 1024 * 1024),
};

export const FUZZ_TOPICS: readonly string[] = ['fuzz-t0', 'fuzz-t1', 'fuzz-t2'];
export const FUZZ_GROUPS: readonly string[] = ['fuzz-g0', 'fuzz-g1', 'fuzz-g2'];
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Creates the fuzz topics (3 partitions each) if needed and reads the broker's versions and topic ids. */
export async function brokerContext(host: string, port: number, maxRequestBytes = MAX_REQUEST_BYTES): Promise<FuzzContext> {
  const created = await request(host, port, ApiKey.CreateTopics, 7, {
    topics: FUZZ_TOPICS.map((name) => ({ name, numPartitions: 3, replicationFactor: -1, assignments: [], configs: [] })),
    timeoutMs: 10_000,
    validateOnly: false,
  });
  for (const t of created.topics) {
    if (t.errorCode !== ErrorCode.NONE && t.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`creating ${t.name}: error ${t.errorCode} ${t.errorMessage}`);
  }
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
  };
}

/** A context without a broker: every API served at every version the codec knows. */
export function offlineContext(maxRequestBytes = MAX_REQUEST_BYTES): FuzzContext {
  return {
    pools: { topics: FUZZ_TOPICS, topicIds: ['AAAAAAAAAAAAAAAAAAAAAQ', 'AAAAAAAAAAAAAAAAAAAAAg'], groups: FUZZ_GROUPS },
    served: new Map([...apiSpecs.values()].map((a) => [a.apiKey, a.request.valid] as const)),
    maxRequestBytes,
  };
}
