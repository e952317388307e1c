// librdkafka against the target broker, in two versions: Debian's old one (kcat, and
// Debian's confluent-kafka-python) and the current one (confluent-kafka-python from PyPI,
// whose wheel bundles it). For each Python client: produce/consume with gzip, snappy, lz4 and
// zstd; a consumer group that commits and resumes; an idempotent producer; and the admin
// calls that list metadata (list_topics, describe_cluster, describe_topics, create/delete
// topics, describe_configs, the group listings), checked against what they must return.
// The Python side lives in python/librdkafka_compat.py.

import { describe, expect, inject, it } from 'vitest';
import type { TestContext } from 'vitest';
import { PYTHON_PEERS, python, pythonPeerName } from './support/peers.ts';
import type { PythonPeer } from './support/peers.ts';
import { describeFailure, jsonLines, run, uniqueName } from './support/process.ts';
import type { RunResult } from './support/process.ts';
import { useTarget } from './support/target.ts';

const target = useTarget();
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
/** Undefined only when the global setup provisioned nothing (a bad target setting: every test fails). */
const pythonClients = inject('pythonClients');
const PYTHONS = PYTHON_PEERS.map((peer) => ({ peer, name: pythonPeerName(peer, pythonClients?.[peer]) }));

/** Runs a librdkafka_compat.py subcommand and returns its JSON result, failing on problems. */
async function pyCheck(peer: PythonPeer, args: readonly string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const r = await python(peer, 'librdkafka_compat.py', [args[0]!, '--bootstrap', target().bootstrap, ...args.slice(1)], { timeoutMs });
  const result = jsonLines(r.stdout).at(-1);
  if (!result) throw new Error(describeFailure(r));
  expect(result['problems'], describeFailure(r)).toEqual([]);
  expect(r.code, describeFailure(r)).toBe(0);
  return result;
}

/**
 * For an admin call the client may lack: Debian's confluent-kafka 1.7.0 has no describe_cluster
 * or describe_topics, so its test is skipped, saying so. The current one from PyPI must have them.
 */
function skipUnlessSupported(ctx: TestContext, peer: PythonPeer, result: Record<string, unknown>): void {
  if (result['supported'] !== false) return;
  expect(peer, `the current client must have the call: ${String(result['note'])}`).toBe('debian');
  ctx.skip(String(result['note']));
}

async function kcat(args: readonly string[], input?: string): Promise<RunResult> {
  const r = await run('kcat', ['-b', target().bootstrap, ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(describeFailure(r));
  return r;
}

interface KcatRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly payload: string | null;
}

function kcatRecords(r: RunResult): KcatRecord[] {
  return jsonLines(r.stdout) as unknown as KcatRecord[];
}

function lines(from: number, to: number, tag: string): string {
  let s = '';
  for (let i = from; i < to; i++) s += `k-${i}:${tag} value ${i} ${'z'.repeat(i % 40)}\n`;
  return s;
}

function expectExactly(records: readonly KcatRecord[], from: number, to: number, tag: string): void {
  const got = records.map((r) => `${r.key ?? ''}:${r.payload ?? ''}`).sort();
  const want = lines(from, to, tag).trimEnd().split('\n').sort();
  expect(got).toEqual(want);
}

describe('kcat (librdkafka)', () => {
  it('reports the broker and a created topic in its metadata', async () => {
    const topic = uniqueName('kcat-meta');
    await pyCheck('debian', ['create-topics', '--partitions', '3', topic]);
    const all = JSON.parse((await kcat(['-L', '-J'])).stdout) as { brokers: { id: number; name: string }[] };
    expect(all.brokers.length).toBeGreaterThanOrEqual(1);
    const one = JSON.parse((await kcat(['-L', '-J', '-t', topic])).stdout) as {
      topics: { topic: string; err?: string; partitions: { partition: number; leader: number }[] }[];
    };
    expect(one.topics.map((t) => t.topic)).toEqual([topic]);
    expect(one.topics[0]!.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
    for (const p of one.topics[0]!.partitions) expect(all.brokers.map((b) => b.id)).toContain(p.leader);
  });

  it.each(CODECS)('produces and consumes %s-compressed batches', async (codec) => {
    const topic = uniqueName(`kcat-${codec}`);
    await pyCheck('debian', ['create-topics', '--partitions', '3', topic]);
    await kcat(['-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'linger.ms=50'], lines(0, 300, codec));
    const records = kcatRecords(await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-J', '-q']));
    expectExactly(records, 0, 300, codec);
    const partitions = new Set(records.map((r) => r.partition));
    expect(partitions.size, 'keys spread over the partitions').toBeGreaterThan(1);
    for (const p of partitions) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets, `partition ${p} offsets are dense and in order`).toEqual(offsets.map((_, i) => i));
    }
  });

  it('a balanced consumer (-G) commits on exit and the next one resumes after it', async () => {
    const topic = uniqueName('kcat-group');
    const group = uniqueName('kcat-group');
    await pyCheck('debian', ['create-topics', '--partitions', '3', topic]);
    const consumeGroup = async (): Promise<KcatRecord[]> =>
      kcatRecords(await kcat(['-G', group, '-X', 'auto.offset.reset=earliest', '-e', '-J', '-q', topic]));
    await kcat(['-P', '-t', topic, '-K', ':', '-z', 'zstd'], lines(0, 50, 'first'));
    expectExactly(await consumeGroup(), 0, 50, 'first');
    await kcat(['-P', '-t', topic, '-K', ':', '-z', 'lz4'], lines(50, 70, 'second'));
    expectExactly(await consumeGroup(), 50, 70, 'second');
  });
});

interface ClusterJson {
  readonly clusterId: string | null;
  readonly controllerId: number;
  readonly brokers: readonly { id: number; host: string; port: number }[];
  readonly topicNames: readonly string[];
}

interface TopicJson {
  readonly error: string | null;
  readonly partitions: readonly { id: number; leader: number; replicas: number[]; isrs: number[]; error: string | null }[];
}

interface NodeJson {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

/** A topic of `partitions` partitions, each led by one of the cluster's brokers, without errors. */
function expectLedTopic(topic: TopicJson | null | undefined, partitions: number, cluster: ClusterJson | null | undefined): void {
  expect(topic, 'the topic is in the metadata').toBeTruthy();
  expect(topic!.error).toBeNull();
  expect(topic!.partitions.map((p) => p.id)).toEqual([...Array(partitions).keys()]);
  const brokerIds = cluster!.brokers.map((b) => b.id);
  for (const p of topic!.partitions) {
    expect(p.error, `partition ${p.id}`).toBeNull();
    expect(brokerIds, `partition ${p.id} leader`).toContain(p.leader);
    expect(p.replicas, `partition ${p.id} replicas`).toContain(p.leader);
    expect(p.isrs, `partition ${p.id} in-sync replicas`).toContain(p.leader);
  }
}

/** The cluster as any client sees it: at least one broker at a real address, a controller among them. */
function expectCluster(cluster: ClusterJson | null | undefined): void {
  expect(cluster, 'list_topics() answered').toBeTruthy();
  expect(cluster!.brokers.length).toBeGreaterThanOrEqual(1);
  for (const b of cluster!.brokers) {
    expect(b.id).toBeGreaterThanOrEqual(0);
    expect(`${b.host}:${b.port}`).toMatch(/^[^:\s]+:\d+$/);
  }
  expect(cluster!.brokers.map((b) => b.id)).toContain(cluster!.controllerId);
  expect(cluster!.clusterId).toEqual(expect.any(String));
}

describe.each(PYTHONS)('$name', ({ peer }) => {
  it('produces and consumes with gzip, snappy, lz4 and zstd', async () => {
    const result = await pyCheck(peer, ['codecs', '--topic-prefix', uniqueName(`py-${peer}-codec`), '--count', '300']);
    const codecs = result['codecs'] as Record<string, { delivered: number; consumed: number; partitions: number[] }>;
    expect(Object.keys(codecs).sort()).toEqual([...CODECS].sort());
    for (const [name, c] of Object.entries(codecs)) {
      expect(c.delivered, name).toBe(300);
      expect(c.consumed, name).toBe(300);
      expect(c.partitions, name).toEqual([0, 1, 2]);
    }
  });

  it('a consumer group commits, and a restarted member resumes from the committed offsets', async () => {
    const result = await pyCheck(peer, [
      'group-commit', '--topic', uniqueName(`py-${peer}-group`), '--group', uniqueName(`py-${peer}-group`), '--count', '100', '--first', '40',
    ]);
    expect(result).toMatchObject({ first: 40, rest: 60, committed: { '0': 20, '1': 20 }, resumedAt: { '0': 20, '1': 20 } });
  });

  it('an idempotent producer (enable.idempotence=True) gets a producer id and writes no duplicates', async () => {
    const result = await pyCheck(peer, ['idempotent', '--topic', uniqueName(`py-${peer}-idempotent`), '--count', '1000']);
    expect(result).toMatchObject({ delivered: 1000, consumed: 1000, idempState: 'Assigned' });
    expect(result['producerId']).toBeGreaterThanOrEqual(0);
    expect(result['producerEpoch']).toBeGreaterThanOrEqual(0);
  });

  it('AdminClient.list_topics() lists every topic, and list_topics(topic=T) that one, with partitions and leaders', async () => {
    const topic = uniqueName(`py-${peer}-list`);
    const result = await pyCheck(peer, ['list-topics', '--topic', topic, '--partitions', '3']);
    const all = result['all'] as ClusterJson;
    expectCluster(all);
    expect(all.topicNames).toContain(topic);
    expectLedTopic(result['allTopic'] as TopicJson, 3, all);
    const one = result['one'] as ClusterJson;
    expectCluster(one);
    expect(one.topicNames).toEqual([topic]);
    expect(one.clusterId).toBe(all.clusterId);
    expect(one.brokers).toEqual(all.brokers);
    expectLedTopic(result['oneTopic'] as TopicJson, 3, one);
  });

  it('AdminClient.describe_cluster() names the cluster, its controller and nodes as list_topics() does', async (ctx) => {
    const result = await pyCheck(peer, ['describe-cluster']);
    skipUnlessSupported(ctx, peer, result);
    const md = result['listTopics'] as ClusterJson;
    expectCluster(md);
    const dc = result['describeCluster'] as { clusterId: string | null; controller: NodeJson | null; nodes: NodeJson[] };
    expect(dc.clusterId).toBe(md.clusterId);
    expect(dc.nodes).toEqual(md.brokers);
    expect(dc.controller?.id).toBe(md.controllerId);
    expect(dc.nodes).toContainEqual(dc.controller);
  });

  it('AdminClient.describe_topics() describes a topic\'s partitions, and UNKNOWN_TOPIC_OR_PART for a missing one', async (ctx) => {
    const topic = uniqueName(`py-${peer}-describe`);
    const result = await pyCheck(peer, ['describe-topics', '--topic', topic, '--partitions', '4']);
    skipUnlessSupported(ctx, peer, result);
    const md = result['listTopics'] as ClusterJson;
    expectLedTopic(result['listTopicsTopic'] as TopicJson, 4, md);
    const d = result['topic'] as {
      name: string;
      topicId: string;
      isInternal: boolean;
      partitions: { id: number; leader: NodeJson | null; replicas: number[]; isr: number[] }[];
    };
    expect(d).toMatchObject({ name: topic, isInternal: false });
    expect(d.topicId, 'a topic id, not the zero UUID').not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
    const listed = (result['listTopicsTopic'] as TopicJson).partitions;
    expect(d.partitions.map((p) => ({ id: p.id, leader: p.leader?.id, replicas: p.replicas, isr: p.isr }))).toEqual(
      listed.map((p) => ({ id: p.id, leader: p.leader, replicas: p.replicas, isr: p.isrs })),
    );
    for (const p of d.partitions) expect(md.brokers).toContainEqual(p.leader);
    expect(result['missingError']).toBe('UNKNOWN_TOPIC_OR_PART');
  });

  it('AdminClient.create_topics() and delete_topics(): listed, duplicate refused, validate_only creates nothing, deleted', async () => {
    const topic = uniqueName(`py-${peer}-create`);
    const result = await pyCheck(peer, ['create-delete-topics', '--topic', topic, '--partitions', '2']);
    expect(result['listedAfterS'], 'listed after create_topics()').toEqual(expect.any(Number));
    expect((result['created'] as TopicJson).partitions.map((p) => p.id)).toEqual([0, 1]);
    expect(result['duplicateError']).toBe('TOPIC_ALREADY_EXISTS');
    expect(result['validateOnlyListed']).toBe(false);
    expect(result['goneAfterS'], 'gone from list_topics() after delete_topics()').toEqual(expect.any(Number));
    expect(result['deleteMissingError']).toBe('UNKNOWN_TOPIC_OR_PART');
  });

  it('AdminClient.describe_configs() of a topic (set and default values, their sources) and of a broker', async () => {
    const topic = uniqueName(`py-${peer}-configs`);
    const result = await pyCheck(peer, ['describe-configs', '--topic', topic]);
    type Entries = Record<string, { value: string | null; source: string; isDefault: boolean; isSensitive: boolean }>;
    const topicConfigs = result['topic'] as Entries;
    expect(topicConfigs['retention.ms']).toMatchObject({ value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG', isDefault: false });
    expect(topicConfigs['cleanup.policy']).toMatchObject({ value: 'delete', isDefault: true });
    expect(topicConfigs['cleanup.policy']!.source).not.toBe('DYNAMIC_TOPIC_CONFIG');
    expect(topicConfigs['max.message.bytes']?.value).toMatch(/^\d+$/);
    for (const [name, e] of Object.entries(topicConfigs)) expect(e.isSensitive, name).toBe(false);
    const brokerConfigs = result['broker'] as Entries;
    expect(brokerConfigs['message.max.bytes']?.value).toMatch(/^\d+$/);
    expect(brokerConfigs['num.partitions']?.value).toMatch(/^\d+$/);
  });

  it('lists and describes a consumer group and its committed offsets (list_groups, list/describe_consumer_groups)', async () => {
    const topic = uniqueName(`py-${peer}-groups`);
    const result = await pyCheck(peer, ['groups', '--topic', topic, '--group', uniqueName(`py-${peer}-groups`)]);
    expect(result['consumed']).toBe(20);
    expect(result['listGroups']).toEqual({ state: 'Stable', protocolType: 'consumer', protocol: 'range', members: 1, error: null });
    if (peer === 'debian' && result['supported'] === false) return; // 1.7.0: list_groups() only
    expect(result['supported'], 'the current client has list_consumer_groups()').toBe(true);
    expect(result['listConsumerGroups']).toEqual({ state: 'STABLE', isSimple: false });
    const d = result['describeConsumerGroups'] as { members: { assigned: string[] }[]; coordinator: NodeJson | null };
    expect(d).toMatchObject({ state: 'STABLE', partitionAssignor: 'range', isSimple: false });
    expect(d.coordinator?.id).toBeGreaterThanOrEqual(0);
    expect(d.members.map((m) => m.assigned)).toEqual([[`${topic}/0`, `${topic}/1`]]);
    const offsets = result['committedOffsets'] as Record<string, number>;
    expect(Object.keys(offsets).sort()).toEqual([`${topic}/0`, `${topic}/1`]);
    expect(Object.values(offsets).reduce((a, b) => a + b, 0), 'the committed offsets cover the 20 records').toBe(20);
    expect(result['listConsumerGroupsAfterClose']).toEqual({ state: 'EMPTY', isSimple: false });
  });
});
