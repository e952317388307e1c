// The Java client and Apache Kafka's own command-line tools against the target broker: a
// producer with default settings (idempotent, acks=all) and consumer groups (classic and
// KIP-848), TopicCommand, ConsoleProducer/ConsoleConsumer, ConsumerGroupCommand with lag,
// ConfigCommand, and VerifiableProducer/VerifiableConsumer over 100,000 messages.
// Our programs are in java/ (CompatProducer, CompatConsumer); the tools' classes in
// support/peers.ts (Tools).

import { describe, expect, it } from 'vitest';
import { Tools, java } from './support/peers.ts';
import { describeFailure, eventually, jsonLines, uniqueName } from './support/process.ts';
import type { RunOptions, RunResult } from './support/process.ts';
import { useTarget } from './support/target.ts';
import { advertisedApis } from './support/api-versions.ts';
import { ApiKey } from '@stratus/protocol';

const target = useTarget();

async function javaOk(mainClass: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const r = await java(mainClass, args, options);
  if (r.code !== 0) throw new Error(describeFailure(r));
  return r;
}

function tool(mainClass: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return javaOk(mainClass, ['--bootstrap-server', target().bootstrap, ...args], options);
}

async function createTopic(topic: string, partitions: number, ...extra: string[]): Promise<void> {
  const r = await tool(Tools.topics, ['--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1', ...extra]);
  expect(r.stdout).toContain(`Created topic ${topic}.`);
}

interface Acked {
  readonly acked: number;
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
}

interface Consumed {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

async function produceDefault(topic: string, count: number): Promise<{ acked: Acked[]; summary: Record<string, unknown>; stderr: string }> {
  const r = await javaOk('CompatProducer', ['--bootstrap', target().bootstrap, '--topic', topic, '--count', String(count)]);
  const lines = jsonLines(r.stdout);
  return { acked: lines.filter((l) => 'acked' in l && !('summary' in l)) as unknown as Acked[], summary: lines.at(-1)!, stderr: r.stderr };
}

async function consumeGroup(
  topic: string,
  group: string,
  expect: number,
  protocol: 'classic' | 'consumer' = 'classic',
): Promise<{ records: Consumed[]; summary: Record<string, unknown> }> {
  const r = await javaOk('CompatConsumer', [
    '--bootstrap', target().bootstrap, '--topic', topic, '--group', group, '--expect', String(expect), '--protocol', protocol,
    '--timeout-ms', '90000',
  ]);
  const lines = jsonLines(r.stdout);
  return { records: lines.filter((l) => 'offset' in l) as unknown as Consumed[], summary: lines.at(-1)! };
}

/** ConsumerGroupCommand --describe's table rows for a group, as column -> value maps. */
async function describeGroup(group: string): Promise<Record<string, string>[]> {
  const r = await tool(Tools.consumerGroups, ['--describe', '--group', group]);
  const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
  const header = lines.findIndex((l) => /^GROUP\s+TOPIC\s+PARTITION/.test(l));
  expect(header, `a table in:\n${r.stdout}`).toBeGreaterThanOrEqual(0);
  const columns = lines[header]!.trim().split(/\s+/);
  return lines.slice(header + 1).map((l) => {
    const cells = l.trim().split(/\s+/);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

describe('Java client', () => {
  it('a producer with default settings is idempotent with acks=all, and a consumer group reads every record once', async () => {
    const topic = uniqueName('java-default');
    await createTopic(topic, 3);
    const { acked, summary, stderr } = await produceDefault(topic, 1000);
    expect(summary).toMatchObject({ acked: 1000, failed: 0, 'enable.idempotence': true, acks: '-1' });
    // The producer really initialised a producer id (InitProducerId), the idempotent path.
    expect(stderr).toMatch(/ProducerId set to \d+ with epoch \d+/);
    for (let p = 0; p < 3; p++) {
      const offsets = acked.filter((a) => a.partition === p).map((a) => a.offset);
      expect(offsets.length, `partition ${p} got records`).toBeGreaterThan(0);
      expect(offsets, `partition ${p}: acked offsets 0..n-1 in send order`).toEqual(offsets.map((_, i) => i));
    }

    const group = uniqueName('java-group');
    const { records, summary: cs } = await consumeGroup(topic, group, 1000);
    expect(cs).toMatchObject({ consumed: 1000 });
    const where = new Map(acked.map((a) => [a.key, `${a.partition}/${a.offset}`]));
    expect(records.map((r) => r.key).sort()).toEqual([...where.keys()].sort());
    for (const r of records) {
      expect(`${r.partition}/${r.offset}`, r.key).toBe(where.get(r.key));
      expect(r.value).toBe(`v-${r.key.slice(2)}`);
    }
    // The group committed the end of every partition: no lag.
    const rows = await describeGroup(group);
    expect(rows.map((row) => row['PARTITION']).sort()).toEqual(['0', '1', '2']);
    for (const row of rows) expect(row['LAG'], `partition ${row['PARTITION']}`).toBe('0');
  });

  it('a consumer group with the KIP-848 protocol (group.protocol=consumer) reads every record once, or is told clearly that the cluster lacks it', async () => {
    const topic = uniqueName('java-kip848');
    await createTopic(topic, 3);
    const { acked } = await produceDefault(topic, 300);
    const group = uniqueName('java-kip848');
    if (!(await advertisedApis(target().bootstrap)).has(ApiKey.ConsumerGroupHeartbeat)) {
      // The broker does not offer KIP-848 (Stratus: not yet): the client must fail fast with
      // the message that tells the user to use the classic protocol, not hang.
      const r = await java('CompatConsumer', ['--bootstrap', target().bootstrap, '--topic', topic, '--group', group, '--expect', '300', '--protocol', 'consumer', '--timeout-ms', '90000']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('does not support the new CONSUMER group protocol');
      return;
    }
    const { records, summary } = await consumeGroup(topic, group, 300, 'consumer');
    expect(summary).toMatchObject({ consumed: 300 });
    expect(records.map((r) => `${r.key}@${r.partition}/${r.offset}`).sort()).toEqual(
      acked.map((a) => `${a.key}@${a.partition}/${a.offset}`).sort(),
    );
  });
});

describe("Kafka's command-line tools", () => {
  it('TopicCommand creates, lists, describes and deletes a topic', async () => {
    const topic = uniqueName('java-topics');
    await createTopic(topic, 4, '--config', 'retention.ms=3600000');
    expect((await tool(Tools.topics, ['--list'])).stdout.split('\n')).toContain(topic);

    const described = (await tool(Tools.topics, ['--describe', '--topic', topic])).stdout;
    const header = new RegExp(`Topic: ${topic}\\s+TopicId: \\S+\\s+PartitionCount: 4\\s+ReplicationFactor: (\\d+)`).exec(described);
    expect(header, described).not.toBeNull();
    expect(described).toContain('retention.ms=3600000');
    const partitionLines = described.split('\n').filter((l) => /\bPartition: \d+\s+Leader: \d+/.test(l));
    expect(partitionLines.map((l) => /Partition: (\d+)/.exec(l)![1]).sort()).toEqual(['0', '1', '2', '3']);
    // One broker: ReplicationFactor 1, Replicas = the leader. A cluster lists the brokers that
    // serve a partition's committed data as read replicas too (KIP-392): the factor is how
    // many brokers each partition lists, the leader among them.
    for (const l of partitionLines) {
      const [, leader, replicas] = /Leader: (\d+)\s+Replicas: ([\d,]+)/.exec(l) ?? [];
      expect(replicas?.split(','), l).toContain(leader);
      expect(replicas?.split(',').length, l).toBe(Number(header![1]));
    }

    await tool(Tools.topics, ['--delete', '--topic', topic]);
    await eventually(`${topic} to disappear from --list`, 30_000, async () =>
      (await tool(Tools.topics, ['--list'])).stdout.split('\n').includes(topic) ? undefined : true,
    );
  });

  it('ConsoleProducer writes keyed lines that ConsoleConsumer reads back', async () => {
    const topic = uniqueName('java-console');
    await createTopic(topic, 2);
    const input = Array.from({ length: 20 }, (_, i) => `key-${i}:line ${i} with spaces`).join('\n') + '\n';
    await tool(Tools.consoleProducer, ['--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'], { input });
    const r = await tool(Tools.consoleConsumer, [
      '--topic', topic, '--from-beginning', '--max-messages', '20', '--timeout-ms', '60000',
      '--formatter-property', 'print.key=true', '--formatter-property', 'key.separator=:',
    ]);
    expect(r.stderr).toContain('Processed a total of 20 messages');
    const got = r.stdout.split('\n').filter((l) => l.startsWith('key-'));
    expect(got.sort()).toEqual(input.trimEnd().split('\n').sort());
  });

  it('ConsumerGroupCommand lists the group and describes its offsets and lag', async () => {
    const topic = uniqueName('java-lag');
    const group = uniqueName('java-lag');
    await createTopic(topic, 1);
    await produceDefault(topic, 10);
    // The member processes 6 records and commits right after them, then leaves.
    const { summary } = await consumeGroup(topic, group, 6);
    expect(summary).toMatchObject({ consumed: 6, committed: { '0': 6 } });

    expect((await tool(Tools.consumerGroups, ['--list'])).stdout.split('\n')).toContain(group);
    const rows = await describeGroup(group);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ GROUP: group, TOPIC: topic, PARTITION: '0', 'CURRENT-OFFSET': '6', 'LOG-END-OFFSET': '10', LAG: '4' });
  });

  it('ConfigCommand describes a topic config and alters it', async () => {
    const topic = uniqueName('java-config');
    await createTopic(topic, 1);
    const configs = (extra: string[] = []): Promise<RunResult> =>
      tool(Tools.configs, ['--entity-type', 'topics', '--entity-name', topic, '--describe', ...extra]);

    const all = (await configs(['--all'])).stdout;
    expect(all).toContain(`All configs for topic ${topic} are:`);
    expect(all).toMatch(/^\s*retention\.ms=\d+ /m);
    expect(all).toMatch(/^\s*cleanup\.policy=delete /m);
    expect(all).toMatch(/^\s*segment\.bytes=\d+ /m);

    await tool(Tools.configs, [
      '--entity-type', 'topics', '--entity-name', topic, '--alter', '--add-config', 'retention.ms=3600000,max.message.bytes=2000000',
    ]);
    await eventually('the altered configs', 20_000, async () => {
      const out = (await configs()).stdout;
      return /retention\.ms=3600000/.test(out) && /max\.message\.bytes=2000000/.test(out) ? true : undefined;
    });

    await tool(Tools.configs, ['--entity-type', 'topics', '--entity-name', topic, '--alter', '--delete-config', 'retention.ms']);
    await eventually('retention.ms back to its default', 20_000, async () => {
      const out = (await configs()).stdout;
      return !/retention\.ms=/.test(out) && /max\.message\.bytes=2000000/.test(out) ? true : undefined;
    });
  });

  it('VerifiableProducer then VerifiableConsumer: 100,000 messages, none lost, none duplicated', async () => {
    const N = 100_000;
    const topic = uniqueName('java-verifiable');
    await createTopic(topic, 4);

    const p = await tool(Tools.verifiableProducer, ['--topic', topic, '--max-messages', String(N), '--acks', '-1'], { timeoutMs: 180_000 });
    const pEvents = jsonLines(p.stdout);
    const sent = pEvents.filter((e) => e['name'] === 'producer_send_success');
    const errors = pEvents.filter((e) => e['name'] === 'producer_send_error');
    expect(errors.slice(0, 3)).toEqual([]);
    expect(sent).toHaveLength(N);
    expect(pEvents.find((e) => e['name'] === 'tool_data')).toMatchObject({ sent: N, acked: N });
    const ackedAt = new Map<string, string>(); // value -> partition/offset
    for (const e of sent) ackedAt.set(String(e['value']), `${String(e['partition'])}/${String(e['offset'])}`);
    expect(ackedAt.size, 'distinct values acked').toBe(N);
    expect(new Set(ackedAt.values()).size, 'distinct partition/offsets acked').toBe(N);

    const c = await tool(
      Tools.verifiableConsumer,
      ['--topic', topic, '--group-id', uniqueName('java-verifiable'), '--max-messages', String(N), '--reset-policy', 'earliest', '--verbose'],
      { timeoutMs: 180_000 },
    );
    const cEvents = jsonLines(c.stdout);
    const records = cEvents.filter((e) => e['name'] === 'record_data');
    const seen = new Map<string, number>();
    const misplaced: string[] = [];
    for (const r of records) {
      const value = String(r['value']);
      seen.set(value, (seen.get(value) ?? 0) + 1);
      if (ackedAt.get(value) !== `${String(r['partition'])}/${String(r['offset'])}`) misplaced.push(value);
    }
    const lost = [...ackedAt.keys()].filter((v) => !seen.has(v));
    const duplicated = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    expect(lost.length, `lost, e.g. ${lost.slice(0, 5).join(', ')}`).toBe(0);
    expect(duplicated.length, `duplicated, e.g. ${duplicated.slice(0, 5).join(', ')}`).toBe(0);
    expect(misplaced.length, `consumed elsewhere than acked, e.g. ${misplaced.slice(0, 5).join(', ')}`).toBe(0);
    expect(records).toHaveLength(N);

    // Its synchronous commits all succeeded, and the last ones reach the end of each partition.
    const commits = cEvents.filter((e) => e['name'] === 'offsets_committed');
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.filter((e) => e['success'] !== true)).toEqual([]);
    const committed = new Map<number, number>();
    for (const e of commits) {
      for (const o of e['offsets'] as { partition: number; offset: number }[]) {
        committed.set(o.partition, Math.max(committed.get(o.partition) ?? 0, o.offset));
      }
    }
    const ends = new Map<number, number>();
    for (const e of sent) ends.set(Number(e['partition']), Math.max(ends.get(Number(e['partition'])) ?? 0, Number(e['offset']) + 1));
    expect(Object.fromEntries(committed)).toEqual(Object.fromEntries(ends));
  });
});
