// `stratus admin topics list | create | describe | alter | delete`, over the Kafka protocol
// against the brokers (so they work against `stratus dev` too): what kafka-topics.sh and
// kafka-configs.sh do for topics, with Stratus's own configs (stratus.durability, ...)
// taken like any other. A broker forwards the changes to the controller, which checks them.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { KafkaAdmin } from './kafka-admin.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './kafka-admin.ts';
import { ADMIN_EXIT, AdminExit, count, describeItemError, itemError, table, usageError } from './output.ts';
import type { ItemError, Output } from './output.ts';

/** DescribeConfigs' resource type of a topic. */
const TOPIC_RESOURCE = 2;
/** IncrementalAlterConfigs' operations. */
const CONFIG_SET = 0;
const CONFIG_DELETE = 1;
/** How long the broker may take over a topic change before answering (a controller round trip). */
const CHANGE_TIMEOUT_MS = 30_000;

/** DescribeConfigs' config_source, by number (Kafka's ConfigSource). */
const CONFIG_SOURCES = ['unknown', 'topic', 'broker', 'default-broker', 'static-broker', 'default', 'broker-logger', 'client-metrics', 'group'] as const;

/** --config / --set KEY=VALUE, checked. */
export function configPairs(option: string, raw: readonly string[] | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const r of raw ?? []) {
    const eq = r.indexOf('=');
    if (eq <= 0) throw usageError(`--${option} ${r}: KEY=VALUE, e.g. --${option} retention.ms=86400000`);
    pairs[r.slice(0, eq)] = r.slice(eq + 1);
  }
  return pairs;
}

/** --partitions N, checked (undefined when not given). */
export function partitionCount(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 2 ** 31 - 1) throw usageError(`--partitions ${raw}: a whole number of partitions, at least 1`);
  return Number(raw);
}

const noTopicHint = (name: string): string => `no topic named ${name} (stratus admin topics list shows them)`;

export async function topicsListCommand(kafka: KafkaAdmin, out: Output): Promise<number> {
  const m = await kafka.metadata(null, true);
  const topics = m.topics
    .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null)
    .map((t) => ({ name: t.name!, topicId: t.topicId, partitions: t.partitions.length, internal: t.isInternal }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  out.document({ topics });
  if (topics.length === 0) out.text('no topics (stratus admin topics create NAME makes one)');
  else for (const line of table(['TOPIC', 'PARTITIONS', 'ID'], topics.map((t) => [t.name, String(t.partitions), t.topicId]))) out.text(line);
  return ADMIN_EXIT.ok;
}

export interface CreateArgs {
  readonly name: string;
  readonly partitions: number | undefined;
  readonly configs: Readonly<Record<string, string>>;
}

export async function topicsCreateCommand(kafka: KafkaAdmin, out: Output, a: CreateArgs): Promise<number> {
  const r = await kafka.call(ApiKey.CreateTopics, {
    topics: [{ name: a.name, numPartitions: a.partitions ?? -1, replicationFactor: -1, assignments: [], configs: Object.entries(a.configs).map(([name, value]) => ({ name, value })) }],
    timeoutMs: CHANGE_TIMEOUT_MS,
    validateOnly: false,
  });
  const t = r.topics[0];
  const error = t === undefined ? { code: ErrorCode.UNKNOWN_SERVER_ERROR, name: 'UNKNOWN_SERVER_ERROR', message: 'the broker answered nothing' } : itemError(t);
  out.document({ topic: a.name, topicId: error === null ? t!.topicId : null, partitions: error === null ? t!.numPartitions : null, error });
  if (error !== null) {
    const hint = error.code === ErrorCode.TOPIC_ALREADY_EXISTS ? ' (stratus admin topics describe shows it; topics alter changes it)' : '';
    throw new AdminExit(ADMIN_EXIT.failed, `topic ${a.name} was not created: ${describeItemError(error)}${hint}`);
  }
  out.text(`created topic ${a.name} with ${count(t!.numPartitions, 'partition')} (id ${t!.topicId})`);
  return ADMIN_EXIT.ok;
}

interface ConfigView {
  readonly name: string;
  readonly value: string | null;
  /** Where the value comes from: topic (set on the topic), default, static-broker, ... */
  readonly source: string;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

export async function topicsDescribeCommand(kafka: KafkaAdmin, out: Output, name: string): Promise<number> {
  const m = await kafka.metadata([name], true);
  const t = m.topics[0];
  if (t === undefined || t.errorCode !== ErrorCode.NONE) {
    const error = itemError(t ?? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null })!;
    out.document({ topic: name, error });
    throw new AdminExit(ADMIN_EXIT.failed, error.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? noTopicHint(name) : `topic ${name}: ${describeItemError(error)}`);
  }
  const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
  const queries = partitions.flatMap((p) => [
    { topic: name, partition: p.partitionIndex, timestamp: EARLIEST_TIMESTAMP },
    { topic: name, partition: p.partitionIndex, timestamp: LATEST_TIMESTAMP },
  ]);
  const [offsets, described] = await Promise.all([
    kafka.listOffsets(queries),
    kafka.call(ApiKey.DescribeConfigs, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
  ]);
  const offsetOf = (partition: number, timestamp: number): number | null => {
    const o = offsets.find((x) => x.partition === partition && x.timestamp === timestamp);
    return o === undefined || o.errorCode !== ErrorCode.NONE ? null : o.offset;
  };
  const res = described.results[0];
  const configError = res === undefined ? null : itemError(res);
  const configs: ConfigView[] = (res?.configs ?? [])
    .map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, source: CONFIG_SOURCES[c.configSource] ?? 'unknown', readOnly: c.readOnly, sensitive: c.isSensitive }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const doc = {
    topic: name,
    topicId: t.topicId,
    partitions: partitions.map((p) => ({
      partition: p.partitionIndex,
      leader: p.leaderId,
      leaderEpoch: p.leaderEpoch,
      startOffset: offsetOf(p.partitionIndex, EARLIEST_TIMESTAMP),
      endOffset: offsetOf(p.partitionIndex, LATEST_TIMESTAMP),
      error: itemError(p),
    })),
    configs,
    error: configError,
  };
  out.document(doc);
  out.text(`topic ${name} (id ${t.topicId}), ${count(partitions.length, 'partition')}`);
  const set = configs.filter((c) => c.source === 'topic');
  out.text(set.length === 0 ? 'configs: the defaults (--json lists every config with its source)' : `configs set on the topic: ${set.map((c) => `${c.name}=${c.value ?? '(sensitive)'}`).join(' ')}`);
  out.text('');
  for (const line of table(
    ['PARTITION', 'LEADER', 'EPOCH', 'START', 'END', 'RECORDS'],
    doc.partitions.map((p) => [String(p.partition), p.leader < 0 ? 'none' : String(p.leader), String(p.leaderEpoch), p.startOffset === null ? '?' : String(p.startOffset), p.endOffset === null ? '?' : String(p.endOffset), p.startOffset === null || p.endOffset === null ? '?' : String(p.endOffset - p.startOffset)]),
  ))
    out.text(line);
  if (configError !== null) throw new AdminExit(ADMIN_EXIT.failed, `topic ${name}: its configs could not be read: ${describeItemError(configError)}`);
  return ADMIN_EXIT.ok;
}

export interface AlterArgs {
  readonly name: string;
  readonly partitions: number | undefined;
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

export async function topicsAlterCommand(kafka: KafkaAdmin, out: Output, a: AlterArgs): Promise<number> {
  const failures: string[] = [];
  let partitions: { count: number; error: ItemError | null } | null = null;
  if (a.partitions !== undefined) {
    const r = await kafka.call(ApiKey.CreatePartitions, { topics: [{ name: a.name, count: a.partitions, assignments: null }], timeoutMs: CHANGE_TIMEOUT_MS, validateOnly: false });
    const error = itemError(r.results[0] ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the broker answered nothing' });
    partitions = { count: a.partitions, error };
    if (error !== null) failures.push(`partitions not raised to ${a.partitions}: ${describeItemError(error)}${error.code === ErrorCode.INVALID_PARTITIONS ? ' (a topic can gain partitions, never lose them)' : ''}`);
    else out.text(`topic ${a.name}: ${count(a.partitions, 'partition')}`);
  }
  let configs: { set: Readonly<Record<string, string>>; deleted: readonly string[]; error: ItemError | null } | null = null;
  const changes = [...Object.entries(a.set).map(([name, value]) => ({ name, configOperation: CONFIG_SET, value })), ...a.remove.map((name) => ({ name, configOperation: CONFIG_DELETE, value: null }))];
  if (changes.length > 0) {
    const r = await kafka.call(ApiKey.IncrementalAlterConfigs, { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: a.name, configs: changes }], validateOnly: false });
    const error = itemError(r.responses[0] ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the broker answered nothing' });
    configs = { set: a.set, deleted: a.remove, error };
    if (error !== null) failures.push(`configs not changed: ${describeItemError(error)}`);
    else out.text(`topic ${a.name}: ${changes.map((c) => (c.value === null ? `${c.name} back to its default` : `${c.name}=${c.value}`)).join(', ')}`);
  }
  out.document({ topic: a.name, partitions, configs });
  if (failures.length > 0) throw new AdminExit(ADMIN_EXIT.failed, `topic ${a.name}: ${failures.join('; ')}`);
  return ADMIN_EXIT.ok;
}

export async function topicsDeleteCommand(kafka: KafkaAdmin, out: Output, names: readonly string[]): Promise<number> {
  const r = await kafka.call(ApiKey.DeleteTopics, { topics: names.map((name) => ({ name })), timeoutMs: CHANGE_TIMEOUT_MS });
  const results = names.map((name) => {
    const x = r.responses.find((y) => y.name === name);
    return { topic: name, topicId: x?.topicId ?? null, error: itemError(x ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the broker answered nothing' }) };
  });
  out.document({ topics: results });
  for (const x of results) out.text(x.error === null ? `deleted topic ${x.topic}` : `topic ${x.topic}: ${describeItemError(x.error)}`);
  const failed = results.filter((x) => x.error !== null);
  if (failed.length > 0) {
    throw new AdminExit(
      ADMIN_EXIT.failed,
      `${failed.length} of ${count(results.length, 'topic')} not deleted: ${failed.map((x) => (x.error!.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? noTopicHint(x.topic) : `${x.topic}: ${describeItemError(x.error!)}`)).join('; ')}`,
    );
  }
  return ADMIN_EXIT.ok;
}
