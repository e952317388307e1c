// `stratus admin topics | groups | objects` as an operator runs them: the real command as a
// process against a real cluster (2 controllers, 3 brokers, MinIO), --json asserted and
// every change checked through kafkajs — what a Kafka client sees, not admin's word:
// topics created, described, altered and deleted; group lag per partition; a reset's dry
// run that changes nothing, its --execute that moves the committed offsets (earliest,
// offset, datetime), and the refusal while the group has a member; objects per topic
// from the controller's index and PUT/GET totals from the processes' /metrics. Also the
// progress bar of drain --wait on a terminal (and never off one), and shell completion.

import { execFile } from 'node:child_process';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { adminJson, STRATUS_MAIN, stratusAdmin } from './lib/admin-cli.ts';
import { STRATUS_NODE_FLAGS } from '../support/stratus-process.ts';

const TOPIC = 'admin-orders';
const TIMES = 'admin-times';
const GROUP = 'admin-group';
/** Record timestamps of TIMES: BASE_MS + i * 1000 for offset i. */
const BASE_MS = Date.UTC(2026, 0, 1);

let cluster: Cluster;
let admin: Admin;
let controllers: string;
let bootstrap: string;
const consumers: Consumer[] = [];

const topicOffsets = async (topic: string): Promise<Map<number, number>> => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
const committed = async (group: string, topic: string): Promise<Map<number, number>> =>
  new Map((await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));

async function produce(topic: string, perPartition: number, partitions: number): Promise<void> {
  const producer = kafkaClient(cluster.bootstrapList, 'admin-producer').kafka.producer();
  await producer.connect();
  for (let p = 0; p < partitions; p++) await producer.send({ topic, acks: -1, messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, value: `r${p}-${i}` })) });
  await producer.disconnect();
}

/** Consumes `topic` in `group` until it has `records`, commits, and leaves (or stays, a member). */
async function consume(group: string, topic: string, records: number, stay = false): Promise<Consumer> {
  const consumer = kafkaClient(cluster.bootstrapList, 'admin-consumer').kafka.consumer({ groupId: group, heartbeatInterval: 500, sessionTimeout: 10_000 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: true,
      eachMessage: async () => {
        if (++seen === records) resolve();
      },
    });
  });
  if (!stay) await consumer.disconnect();
  return consumer;
}

beforeAll(async () => {
  cluster = await startCluster();
  controllers = cluster.controllers.map((c) => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']}`).join(',');
  bootstrap = cluster.bootstrap;
  admin = kafkaClient(cluster.bootstrapList, 'admin-kafka-test').kafka.admin();
  await admin.connect();
}, 90_000);

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await admin?.disconnect();
  await cluster?.stop();
}, 60_000);

describe('stratus admin topics', () => {
  it('create --json makes the topic with its partitions and configs; a second create is TOPIC_ALREADY_EXISTS (exit 1)', async () => {
    // Brokers taken from the controller (STRATUS_CONTROLLER_ENDPOINTS): what admin in a broker's pod does.
    const run = await stratusAdmin(['topics', 'create', TOPIC, '--partitions', '3', '--config', 'retention.ms=86400000', '--config', 'stratus.durability=object', '--json'], { STRATUS_CONTROLLER_ENDPOINTS: controllers });
    expect(run.code, run.stderr).toBe(0);
    const doc = adminJson<{ topic: string; topicId: string; partitions: number; error: unknown }>(run);
    expect(doc).toMatchObject({ topic: TOPIC, partitions: 3, error: null });
    expect(doc.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    expect(meta.topics[0]!.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: TOPIC, configNames: ['retention.ms', 'stratus.durability'] }], includeSynonyms: false });
    expect(Object.fromEntries(configs.resources[0]!.configEntries.map((c) => [c.configName, c.configValue]))).toEqual({ 'retention.ms': '86400000', 'stratus.durability': 'object' });

    const again = await stratusAdmin(['topics', 'create', TOPIC, '--json', '--bootstrap-server', bootstrap]);
    expect(again.code).toBe(1);
    expect(adminJson<{ error: { name: string } }>(again).error.name).toBe('TOPIC_ALREADY_EXISTS');
    expect(again.stderr).toContain('topics describe shows it');

    const times = await stratusAdmin(['topics', 'create', TIMES, '--partitions', '1', '--bootstrap-server', bootstrap]);
    expect(times.code, times.stderr).toBe(0);
    expect(times.stdout).toContain(`created topic ${TIMES} with 1 partition`);
  });

  it('list --json and describe --json: the topics, leaders and offsets Kafka clients see', async () => {
    await produce(TOPIC, 7, 3);
    const listed = await stratusAdmin(['topics', 'list', '--json', '--bootstrap-server', bootstrap]);
    expect(listed.code, listed.stderr).toBe(0);
    const topics = adminJson<{ topics: { name: string; partitions: number }[] }>(listed).topics;
    expect(topics.map((t) => t.name).sort()).toEqual((await admin.listTopics()).sort());
    expect(topics.find((t) => t.name === TOPIC)?.partitions).toBe(3);

    const run = await stratusAdmin(['topics', 'describe', TOPIC, '--json', '--bootstrap-server', bootstrap]);
    expect(run.code, run.stderr).toBe(0);
    const doc = adminJson<{ partitions: { partition: number; leader: number; startOffset: number; endOffset: number }[]; configs: { name: string; value: string; source: string }[] }>(run);
    const leaders = new Map((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));
    const ends = await topicOffsets(TOPIC);
    expect(doc.partitions).toEqual([0, 1, 2].map((p) => ({ partition: p, leader: leaders.get(p), leaderEpoch: expect.any(Number), startOffset: 0, endOffset: ends.get(p), error: null })));
    expect(doc.partitions.every((p) => p.endOffset === 7)).toBe(true);
    expect(doc.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '86400000', source: 'topic' });

    const text = await stratusAdmin(['topics', 'describe', TOPIC, '--bootstrap-server', bootstrap]);
    expect(text.stdout).toMatch(/^PARTITION\s+LEADER\s+EPOCH\s+START\s+END\s+RECORDS$/m);
    const missing = await stratusAdmin(['topics', 'describe', 'no-such-topic', '--json', '--bootstrap-server', bootstrap]);
    expect(missing.code).toBe(1);
    expect(adminJson<{ error: { name: string } }>(missing).error.name).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(missing.stderr).toContain('no topic named no-such-topic (stratus admin topics list shows them)');
  });

  it('alter --json raises the partition count and sets and removes configs; fewer partitions is refused (exit 1)', async () => {
    const run = await stratusAdmin(['topics', 'alter', TOPIC, '--partitions', '4', '--set', 'retention.ms=3600000', '--delete-config', 'stratus.durability', '--json', '--bootstrap-server', bootstrap]);
    expect(run.code, run.stderr).toBe(0);
    expect(adminJson(run)).toEqual({ topic: TOPIC, partitions: { count: 4, error: null }, configs: { set: { 'retention.ms': '3600000' }, deleted: ['stratus.durability'], error: null } });
    expect((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions).toHaveLength(4);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: TOPIC, configNames: ['retention.ms', 'stratus.durability'] }], includeSynonyms: false });
    const entries = new Map(configs.resources[0]!.configEntries.map((c) => [c.configName, c]));
    expect(entries.get('retention.ms')?.configValue).toBe('3600000');
    expect(entries.get('stratus.durability')?.isDefault).toBe(true);

    const fewer = await stratusAdmin(['topics', 'alter', TOPIC, '--partitions', '2', '--json', '--bootstrap-server', bootstrap]);
    expect(fewer.code).toBe(1);
    expect(adminJson<{ partitions: { error: { name: string } } }>(fewer).partitions.error.name).toBe('INVALID_PARTITIONS');
    expect(fewer.stderr).toContain('never lose them');
    expect((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions).toHaveLength(4);
  });
});

interface GroupDoc {
  group: string;
  coordinator: number;
  state: string;
  members: { memberId: string; clientId: string; assignment: { topic: string; partitions: number[] }[] | null }[];
  partitions: { topic: string; partition: number; committedOffset: number | null; endOffset: number | null; lag: number | null; memberId: string | null }[];
  totalLag: number;
}

interface ResetDoc {
  group: string;
  state: string;
  execute: boolean;
  applied: boolean;
  partitions: { topic: string; partition: number; currentOffset: number | null; newOffset: number | null; error: unknown }[];
}

describe('stratus admin groups', () => {
  it('list and describe --json: the group, its coordinator, and lag per partition (end offset − committed offset)', async () => {
    await consume(GROUP, TOPIC, 21); // partitions 0-2 hold 7 records each, partition 3 none
    await produce(TOPIC, 2, 4); // lag 2 on every partition now
    const listed = await stratusAdmin(['groups', 'list', '--json', '--bootstrap-server', bootstrap]);
    expect(listed.code, listed.stderr).toBe(0);
    const groups = adminJson<{ groups: { group: string; state: string; coordinator: number }[]; errors: unknown[] }>(listed);
    expect(groups.errors).toEqual([]);
    const listedGroup = groups.groups.find((g) => g.group === GROUP);
    expect(listedGroup).toMatchObject({ group: GROUP, state: 'Empty' });
    const kafkajsCoordinator = (await admin.describeGroups([GROUP])).groups[0]!;
    expect(kafkajsCoordinator.state).toBe('Empty');

    const run = await stratusAdmin(['groups', 'describe', GROUP, '--json', '--bootstrap-server', bootstrap]);
    expect(run.code, run.stderr).toBe(0);
    const doc = adminJson<GroupDoc>(run);
    expect(doc.coordinator).toBe(listedGroup!.coordinator);
    const commits = await committed(GROUP, TOPIC);
    const ends = await topicOffsets(TOPIC);
    const expected = [0, 1, 2, 3]
      .filter((p) => (commits.get(p) ?? -1) >= 0)
      .map((p) => ({ topic: TOPIC, partition: p, committedOffset: commits.get(p)!, endOffset: ends.get(p)!, lag: ends.get(p)! - commits.get(p)!, memberId: null, error: null }));
    expect(doc.partitions).toEqual(expected);
    expect(doc.partitions.filter((p) => p.partition < 3).map((p) => p.lag)).toEqual([2, 2, 2]);
    expect(doc.totalLag).toBe(expected.reduce((n, p) => n + p.lag, 0));
    expect(doc).toMatchObject({ group: GROUP, state: 'Empty', members: [] });

    const unknown = await stratusAdmin(['groups', 'describe', 'no-such-group', '--json', '--bootstrap-server', bootstrap]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no group named no-such-group');
  });

  it('reset-offsets: the dry run changes nothing; --execute commits the plan (earliest, an offset clamped to the end, a datetime)', async () => {
    const before = await committed(GROUP, TOPIC);
    const dry = await stratusAdmin(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--json', '--bootstrap-server', bootstrap]);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = adminJson<ResetDoc>(dry);
    expect(plan).toMatchObject({ group: GROUP, state: 'Empty', execute: false, applied: false });
    expect(plan.partitions).toEqual([0, 1, 2, 3].map((p) => ({ topic: TOPIC, partition: p, currentOffset: (before.get(p) ?? -1) >= 0 ? before.get(p) : null, newOffset: 0, error: null })));
    expect(await committed(GROUP, TOPIC)).toEqual(before);
    const dryText = await stratusAdmin(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--bootstrap-server', bootstrap]);
    expect(dryText.stdout).toContain('dry run: nothing changed');

    const run = await stratusAdmin(['groups', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--execute', '--json', '--bootstrap-server', bootstrap]);
    expect(run.code, run.stderr).toBe(0);
    expect(adminJson<ResetDoc>(run)).toMatchObject({ execute: true, applied: true });
    expect(await committed(GROUP, TOPIC)).toEqual(new Map([0, 1, 2, 3].map((p) => [p, 0])));

    // --to-offset beyond the end is clamped to each partition's end; only the partitions named.
    const ends = await topicOffsets(TOPIC);
    const some = await stratusAdmin(['groups', 'reset-offsets', GROUP, '--topic', `${TOPIC}:1,2`, '--to-offset', '1000', '--execute', '--json', '--bootstrap-server', bootstrap]);
    expect(some.code, some.stderr).toBe(0);
    expect(adminJson<ResetDoc>(some).partitions.map((p) => [p.partition, p.newOffset])).toEqual([
      [1, ends.get(1)],
      [2, ends.get(2)],
    ]);
    expect(await committed(GROUP, TOPIC)).toEqual(new Map([[0, 0], [1, ends.get(1)!], [2, ends.get(2)!], [3, 0]]));

    // --to-datetime: the first record at or after the time.
    const producer = kafkaClient(cluster.bootstrapList, 'admin-times').kafka.producer();
    await producer.connect();
    await producer.send({ topic: TIMES, acks: -1, messages: Array.from({ length: 6 }, (_, i) => ({ value: `t${i}`, timestamp: String(BASE_MS + i * 1000) })) });
    await producer.disconnect();
    const at = new Date(BASE_MS + 2500).toISOString().replace('Z', '');
    const byTime = await stratusAdmin(['groups', 'reset-offsets', 'admin-times-group', '--topic', TIMES, '--to-datetime', at, '--execute', '--json', '--bootstrap-server', bootstrap]);
    expect(byTime.code, byTime.stderr).toBe(0);
    expect(adminJson<ResetDoc>(byTime).partitions).toEqual([{ topic: TIMES, partition: 0, currentOffset: null, newOffset: 3, error: null }]);
    expect(await committed('admin-times-group', TIMES)).toEqual(new Map([[0, 3]]));
  });

  it('reset-offsets --execute is refused while the group has a member (exit 1, nothing committed); describe shows the member and its partitions', async () => {
    const live = 'admin-live-group';
    await consume(live, TOPIC, 29, true);
    let doc: GroupDoc | undefined;
    for (let i = 0; i < 40; i++) {
      doc = adminJson<GroupDoc>(await stratusAdmin(['groups', 'describe', live, '--json', '--bootstrap-server', bootstrap]));
      if (doc.state === 'Stable' && doc.partitions.every((p) => p.lag === 0 && p.committedOffset !== null)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(doc!.state).toBe('Stable');
    expect(doc!.members).toHaveLength(1);
    expect(doc!.members[0]!.clientId).toBe('admin-consumer');
    expect(doc!.members[0]!.assignment).toEqual([{ topic: TOPIC, partitions: [0, 1, 2, 3] }]);
    expect(doc!.partitions.every((p) => p.memberId === doc!.members[0]!.memberId)).toBe(true);

    const before = await committed(live, TOPIC);
    const run = await stratusAdmin(['groups', 'reset-offsets', live, '--all-topics', '--to-earliest', '--execute', '--json', '--bootstrap-server', bootstrap]);
    expect(run.code).toBe(1);
    expect(adminJson<ResetDoc>(run)).toMatchObject({ state: 'Stable', applied: false });
    expect(run.stderr).toContain('Stop its consumers');
    expect(run.stderr).toContain('Nothing was changed');
    expect(await committed(live, TOPIC)).toEqual(before);
    expect([...before.values()].some((o) => o > 0)).toBe(true);
  });
});

describe('stratus admin objects', () => {
  it('--json: objects, extents and backlog per topic from the controller; PUT/GET totals from /metrics', async () => {
    const metrics = [...cluster.brokers, ...cluster.controllers].map((n) => `127.0.0.1:${n.spec.httpPort}`).join(',');
    interface ObjectsDoc {
      topics: { topic: string; partitions: number; objects: number; extents: number; bytes: number; backlog: { extents: number; bytes: number } }[];
      total: { objects: number; objectBytes: number; extents: number; bytes: number };
      requests: { put: number; get: number; byOperation: Record<string, Record<string, number>>; errors: unknown[] };
    }
    let doc: ObjectsDoc | undefined;
    // Uploads run in the background: wait until both topics' data is in objects.
    for (let i = 0; i < 60; i++) {
      const run = await stratusAdmin(['objects', '--json', '--controller', controllers, '--metrics', metrics]);
      expect(run.code, run.stderr).toBe(0);
      doc = adminJson<ObjectsDoc>(run);
      if ([TOPIC, TIMES].every((t) => (doc!.topics.find((x) => x.topic === t)?.extents ?? 0) >= (t === TOPIC ? 4 : 1))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const orders = doc!.topics.find((t) => t.topic === TOPIC)!;
    expect(orders.partitions).toBe(4);
    expect(orders.extents).toBeGreaterThanOrEqual(4); // every partition has data
    expect(orders.objects).toBeGreaterThanOrEqual(1);
    expect(orders.bytes).toBeGreaterThan(0);
    expect(orders.backlog.extents).toBeLessThanOrEqual(orders.extents);
    expect(doc!.total.objects).toBeGreaterThanOrEqual(orders.objects);
    expect(doc!.total.extents).toBe(doc!.topics.reduce((n, t) => n + t.extents, 0));
    expect(doc!.total.objectBytes).toBeGreaterThanOrEqual(orders.bytes);
    // Every object was PUT at least once by some process.
    expect(doc!.requests.errors).toEqual([]);
    expect(doc!.requests.put).toBeGreaterThanOrEqual(doc!.total.objects);
    expect(doc!.requests.byOperation['put']?.['ok']).toBeGreaterThanOrEqual(doc!.total.objects);

    const dead = await stratusAdmin(['objects', '--json', '--controller', controllers, '--metrics', '127.0.0.1:1']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("Is that a process's HTTP port");
  });
});

describe('progress and completion', () => {
  it('drain --wait draws a progress bar on a terminal, and prints lines without one', async () => {
    const broker = cluster.brokers.find((b) => b.nodeId === 3)!;
    const leads = async (): Promise<number> => (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions.filter((p) => p.leader === broker.nodeId).length;
    if ((await leads()) === 0) {
      const [p] = (await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions;
      expect((await stratusAdmin(['partitions', 'reassign', '--topic', TOPIC, '--partition', String(p!.partitionId), '--to', '3', '--wait', '--controller', controllers])).code).toBe(0);
    }
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    const command = [process.execPath, ...STRATUS_NODE_FLAGS, STRATUS_MAIN, 'admin', 'brokers', 'drain', '3', '--wait', '--timeout', '30s', '--controller', controllers].join(' ');
    const onTty = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile('script', ['-qec', command, '/dev/null'], { timeout: 60_000 }, (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code), stdout }));
    });
    expect(onTty.code, onTty.stdout).toBe(0);
    expect(onTty.stdout).toMatch(/\r\x1b\[K\[[#.]{24}\] \d+\/\d+ broker 3 leads/);
    expect(onTty.stdout).toContain('broker 3 leads no partitions');
    expect(await leads()).toBe(0);
    expect((await stratusAdmin(['brokers', 'undrain', '3', '--controller', controllers])).code).toBe(0);

    const offTty = await stratusAdmin(['brokers', 'drain', '3', '--wait', '--timeout', '30s', '--controller', controllers]);
    expect(offTty.code, offTty.stderr).toBe(0);
    expect(offTty.stdout).not.toContain('\r');
    expect(offTty.stdout).not.toMatch(/\[[#.]{24}\]/);
    expect((await stratusAdmin(['brokers', 'undrain', '3', '--controller', controllers])).code).toBe(0);
  }, 90_000);

  it('completion bash: the script completes admin subcommands and their options in bash', async () => {
    const script = await stratusAdmin(['completion', 'bash']);
    expect(script.code, script.stderr).toBe(0);
    const complete = (words: string[]): Promise<string> =>
      new Promise((resolve, reject) => {
        const program = `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _stratus; echo "\${COMPREPLY[*]}"`;
        execFile('bash', ['-c', program], (error, stdout, stderr) => (error === null ? resolve(stdout.trim()) : reject(new Error(stderr))));
      });
    expect(await complete(['stratus', 'ad'])).toBe('admin');
    expect((await complete(['stratus', 'admin', ''])).split(' ')).toEqual(['cluster', 'brokers', 'partitions', 'objects', 'topics', 'groups', 'completion']);
    expect(await complete(['stratus', 'admin', 'groups', 're'])).toBe('reset-offsets');
    expect((await complete(['stratus', 'admin', 'groups', 'reset-offsets', 'g', '--topic', 't', '--to-'])).split(' ')).toEqual(['--to-earliest', '--to-latest', '--to-datetime', '--to-offset']);
    expect(await complete(['stratus', 'admin', 'topics', 'create', 'x', '--config', 'a=b', '--pa'])).toBe('--partitions');

    const zsh = await stratusAdmin(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toContain('bashcompinit');
    const wrong = await stratusAdmin(['completion', 'fish']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('bash or zsh');
  });
});
