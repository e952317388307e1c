// kafkajs 2.2.4 against the target broker: produce/consume with every codec kafkajs can use
// without native code, an idempotent producer, a consumer group of three members through
// joins and leaves, and the admin API (topics, configs, partitions).

import kafkajs from 'kafkajs';
import type { Admin, Consumer, IHeaders, Kafka, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecCalls, kafkaClient } from './support/kafkajs.ts';
import { eventually, uniqueName } from './support/process.ts';
import { useTarget } from './support/target.ts';

const { CompressionTypes, ConfigResourceTypes, AssignerProtocol } = kafkajs;

const target = useTarget();
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  kafka = kafkaClient(target().bootstrap, 'stratus-compat-kafkajs');
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
});

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  const created = await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  expect(created).toBe(true);
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k] = String(v);
  return out;
}

interface Seen {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** A consumer in a fresh group reading `topics` from the beginning until `count` records came. */
async function consumeAll(topics: readonly string[], count: number): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('kafkajs-reader'), maxWaitTimeInMs: 250 });
  const seen: Seen[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        seen.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headerText(message.headers),
        });
      },
    });
    await eventually(`${count} records from ${topics.join(', ')} (have ${seen.length})`, 60_000, () =>
      seen.length >= count ? true : undefined,
    );
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('kafkajs 2.2.4: produce and consume with each compression codec', () => {
  const codecs = [
    ['none', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const;
  const PER_TOPIC = 300;

  it('every record comes back once, with its key, value, headers and acked offset', async () => {
    const topics = new Map(codecs.map(([name]) => [name, uniqueName(`kafkajs-${name}`)]));
    for (const topic of topics.values()) await createTopic(topic, 3);
    const before = new Map([...codecCalls].map(([t, c]) => [t, { ...c }]));

    const producer = kafka.producer();
    await producer.connect();
    const expectedAt = new Map<string, string>(); // key -> partition/offset from the acks
    try {
      for (const [name, compression] of codecs) {
        const topic = topics.get(name)!;
        // Several sends, each a batch of many records per partition (and compressible values).
        for (let batch = 0; batch < 3; batch++) {
          const messages: Message[] = [];
          for (let i = batch * 100; i < (batch + 1) * 100; i++) {
            messages.push({
              key: `${name}-${i}`,
              partition: i % 3,
              value: `value ${i} `.repeat(1 + (i % 20)),
              headers: { codec: name, i: String(i) },
            });
          }
          const metadata = await producer.send({ topic, compression, acks: -1, messages });
          // The ack gives each partition's base offset; its records follow in send order.
          const base = new Map<number, number>();
          for (const md of metadata) {
            expect(md.errorCode).toBe(0);
            base.set(md.partition, Number(md.baseOffset));
          }
          const next = new Map(base);
          for (const m of messages) {
            const p = m.partition!;
            const o = next.get(p);
            expect(o, `${name}: an ack for partition ${p}`).toBeDefined();
            expectedAt.set(String(m.key), `${p}/${o!}`);
            next.set(p, o! + 1);
          }
        }
      }
    } finally {
      await producer.disconnect();
    }

    const seen = await consumeAll([...topics.values()], PER_TOPIC * codecs.length);
    for (const [name] of codecs) {
      const topic = topics.get(name)!;
      const records = seen.filter((r) => r.topic === topic);
      const keys = records.map((r) => r.key).sort();
      const expected = Array.from({ length: PER_TOPIC }, (_, i) => `${name}-${i}`).sort();
      expect(keys, `${name}: each key exactly once`).toEqual(expected);
      for (const r of records) {
        const i = Number(r.key.slice(name.length + 1));
        expect(r.value).toBe(`value ${i} `.repeat(1 + (i % 20)));
        expect(r.headers).toEqual({ codec: name, i: String(i) });
        expect(`${r.partition}/${r.offset}`, `${r.key} where its ack said`).toBe(expectedAt.get(r.key));
      }
      // Offsets per partition are dense: 0..n-1 (a fresh topic, no transactions).
      for (let p = 0; p < 3; p++) {
        const offsets = records.filter((r) => r.partition === p).map((r) => Number(r.offset)).sort((a, b) => a - b);
        expect(offsets, `${name} partition ${p}`).toEqual(offsets.map((_, i) => i));
      }
    }
    // Each codec compressed on produce and decompressed on fetch: the broker kept the batches
    // compressed (compression.type=producer) and returned them so.
    for (const [name, type] of codecs) {
      if (type === CompressionTypes.None) continue;
      const now = codecCalls.get(type)!;
      const was = before.get(type)!;
      expect(now.compress - was.compress, `${name} compress calls`).toBeGreaterThan(0);
      expect(now.decompress - was.decompress, `${name} decompress calls`).toBeGreaterThan(0);
    }
  });

  it('an idempotent producer (idempotent: true) is acked and read back without duplicates', async () => {
    const topic = uniqueName('kafkajs-idempotent');
    await createTopic(topic, 2);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let batch = 0; batch < 5; batch++) {
        const messages = Array.from({ length: 50 }, (_, i) => ({ key: `k-${batch * 50 + i}`, value: `v-${batch * 50 + i}` }));
        const md = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
        for (const m of md) expect(m.errorCode).toBe(0);
      }
    } finally {
      await producer.disconnect();
    }
    const seen = await consumeAll([topic], 250);
    expect(seen.map((r) => r.key).sort()).toEqual(Array.from({ length: 250 }, (_, i) => `k-${i}`).sort());
  });
});

describe('kafkajs 2.2.4: a consumer group of three members through joins and leaves', () => {
  const PARTITIONS = 6;
  const ALL = Array.from({ length: PARTITIONS }, (_, i) => i);

  interface Member {
    readonly name: string;
    readonly consumer: Consumer;
    memberId: string;
    assignment: number[];
    joins: number;
    active: boolean;
  }

  it('every record is consumed exactly once, and every rebalance assigns all partitions once', async () => {
    const topic = uniqueName('kafkajs-group');
    const groupId = uniqueName('kafkajs-group');
    await createTopic(topic, PARTITIONS);
    const members: Member[] = [];
    const consumed: { member: string; partition: number; key: string; owned: boolean }[] = [];
    const producer = kafka.producer();
    await producer.connect();

    async function join(name: string): Promise<Member> {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10_000,
        rebalanceTimeout: 20_000,
        heartbeatInterval: 300,
        maxWaitTimeInMs: 250,
      });
      const m: Member = { name, consumer, memberId: '', assignment: [], joins: 0, active: true };
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        m.memberId = e.payload.memberId;
        m.assignment = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
        m.joins += 1;
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      members.push(m);
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          consumed.push({ member: name, partition, key: message.key?.toString() ?? '', owned: m.assignment.includes(partition) });
        },
      });
      return m;
    }

    async function leave(m: Member): Promise<void> {
      m.active = false;
      await m.consumer.disconnect(); // commits, then LeaveGroup
    }

    /** Waits until the group settled with exactly the active members, checked on both sides. */
    async function settled(phase: string, joinsBefore: Map<Member, number>): Promise<void> {
      const active = members.filter((m) => m.active);
      await eventually(`${phase}: the group to settle on ${active.map((m) => m.name).join(', ')}`, 60_000, async () => {
        // Client side: everyone rejoined since the change, and the assignments partition the topic.
        if (active.some((m) => m.joins <= (joinsBefore.get(m) ?? 0))) return undefined;
        const clientView = active.flatMap((m) => m.assignment).sort((a, b) => a - b);
        if (JSON.stringify(clientView) !== JSON.stringify(ALL)) return undefined;
        // Broker side: DescribeGroups says Stable, with these members and these assignments.
        const { groups } = await admin.describeGroups([groupId]);
        const g = groups[0];
        if (!g || g.state !== 'Stable' || g.members.length !== active.length) return undefined;
        const brokerView = new Map<string, number[]>();
        for (const bm of g.members) {
          const decoded = AssignerProtocol.MemberAssignment.decode(bm.memberAssignment);
          brokerView.set(bm.memberId, [...(decoded?.assignment[topic] ?? [])].sort((a, b) => a - b));
        }
        for (const m of active) {
          if (JSON.stringify(brokerView.get(m.memberId)) !== JSON.stringify(m.assignment)) return undefined;
        }
        return true;
      });
      const active2 = members.filter((m) => m.active);
      const union = active2.flatMap((m) => m.assignment).sort((a, b) => a - b);
      expect(union, `${phase}: assignments cover every partition exactly once`).toEqual(ALL);
      for (const m of active2) expect(m.assignment.length, `${phase}: ${m.name} has a share`).toBeGreaterThan(0);
    }

    let produced = 0;
    async function produceAndDrain(phase: string): Promise<void> {
      const messages = ALL.flatMap((partition) =>
        Array.from({ length: 10 }, (_, i) => ({ partition, key: `${phase}-${partition}-${i}`, value: phase })),
      );
      await producer.send({ topic, acks: -1, messages });
      produced += messages.length;
      await eventually(`${phase}: ${produced} records consumed (have ${consumed.length})`, 60_000, () =>
        consumed.length >= produced ? true : undefined,
      );
    }

    const snapshot = (): Map<Member, number> => new Map(members.map((m) => [m, m.joins]));
    try {
      let before = snapshot();
      const a = await join('A');
      await settled('A joined', before);
      await produceAndDrain('phase1');

      before = snapshot();
      const b = await join('B');
      await settled('B joined', before);
      await produceAndDrain('phase2');

      before = snapshot();
      await join('C');
      await settled('C joined', before);
      expect(members.map((m) => m.assignment.length), 'three members share six partitions').toEqual([2, 2, 2]);
      await produceAndDrain('phase3');

      before = snapshot();
      await leave(a);
      await settled('A left', before);
      await produceAndDrain('phase4');

      before = snapshot();
      await leave(b);
      await settled('B left', before);
      await produceAndDrain('phase5');

      // A moment for any duplicate delivery to show up before the last member leaves.
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      for (const m of members) if (m.active) await leave(m);
      await producer.disconnect();
    }

    const keys = consumed.map((c) => c.key).sort();
    const expected = ['phase1', 'phase2', 'phase3', 'phase4', 'phase5']
      .flatMap((phase) => ALL.flatMap((p) => Array.from({ length: 10 }, (_, i) => `${phase}-${p}-${i}`)))
      .sort();
    expect(keys, 'every record consumed exactly once across members').toEqual(expected);
    expect(consumed.filter((c) => !c.owned), 'records delivered to a member not assigned their partition').toEqual([]);
    // Every member that was in the group for a phase did consume part of it.
    for (const name of ['A', 'B', 'C']) expect(consumed.some((c) => c.member === name), `${name} consumed`).toBe(true);
  });
});

describe('kafkajs 2.2.4: admin', () => {
  it('creates, lists, describes, alters and deletes topics and reads their configs', async () => {
    const t1 = uniqueName('kafkajs-admin-a');
    const t2 = uniqueName('kafkajs-admin-b');
    const created = await admin.createTopics({
      topics: [
        { topic: t1, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        { topic: t2, numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    // Creating an existing topic is refused (kafkajs: false without validateOnly, or an error).
    await expect(
      admin.createTopics({ topics: [{ topic: t1, numPartitions: 3, replicationFactor: 1 }] }).catch(() => false),
    ).resolves.toBe(false);

    expect(await admin.listTopics()).toEqual(expect.arrayContaining([t1, t2]));

    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.clusterId).toMatch(/\S/);

    const { topics } = await admin.fetchTopicMetadata({ topics: [t1, t2] });
    const byName = new Map(topics.map((t) => [t.name, t]));
    expect(byName.get(t1)?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(byName.get(t2)?.partitions.map((p) => p.partitionId)).toEqual([0]);
    for (const p of [...byName.values()].flatMap((t) => t.partitions)) {
      expect(p.partitionErrorCode).toBe(0);
      const brokerIds = cluster.brokers.map((b) => b.nodeId);
      expect(brokerIds).toContain(p.leader);
      // One broker: [leader]. A cluster also lists the brokers that serve the partition's
      // committed data as read replicas (KIP-392), each once; the leader is always one.
      expect(p.replicas).toContain(p.leader);
      expect(new Set(p.replicas).size).toBe(p.replicas.length);
      for (const r of p.replicas) expect(brokerIds).toContain(r);
      if (brokerIds.length === 1) expect(p.replicas).toEqual([p.leader]);
    }

    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: t1 },
        { type: ConfigResourceTypes.TOPIC, name: t2 },
      ],
    });
    const configs = new Map(
      described.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e]))]),
    );
    for (const r of described.resources) expect(r.errorCode).toBe(0);
    const c1 = configs.get(t1)!;
    const c2 = configs.get(t2)!;
    // Every config a Kafka topic is commonly managed by is reported, with its value and
    // whether it is a default (Kafka lists more keys; Stratus lists those that mean something).
    for (const name of ['retention.ms', 'retention.bytes', 'cleanup.policy', 'max.message.bytes', 'message.timestamp.type', 'segment.bytes', 'segment.ms', 'min.insync.replicas', 'compression.type']) {
      expect(c1.has(name), `${name} is described`).toBe(true);
    }
    expect(c1.get('retention.ms')?.configValue).toBe('3600000');
    expect(c1.get('retention.ms')?.isDefault).toBe(false);
    expect(c2.get('retention.ms')?.configValue).toMatch(/^-?\d+$/);
    expect(c2.get('retention.ms')?.isDefault).toBe(true);
    expect(c2.get('cleanup.policy')?.configValue).toBe('delete');
    for (const name of ['segment.bytes', 'max.message.bytes', 'min.insync.replicas', 'retention.bytes', 'compression.type']) {
      expect(c2.get(name)?.configValue, name).toMatch(/\S/);
    }

    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: t2, configEntries: [{ name: 'retention.ms', value: '7200000' }] }],
    });
    await eventually('the altered retention.ms', 20_000, async () => {
      const r = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: t2, configNames: ['retention.ms'] }],
      });
      return r.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue === '7200000' ? true : undefined;
    });

    await admin.createPartitions({ topicPartitions: [{ topic: t2, count: 2 }] });
    await eventually(`${t2} to have 2 partitions`, 20_000, async () => {
      const md = await admin.fetchTopicMetadata({ topics: [t2] });
      return md.topics[0]?.partitions.length === 2 ? true : undefined;
    });

    await admin.deleteTopics({ topics: [t1, t2], timeout: 30_000 });
    await eventually('the deleted topics to disappear', 30_000, async () => {
      const names = await admin.listTopics();
      return names.includes(t1) || names.includes(t2) ? undefined : true;
    });
  });
});
