// The soak's clients (kafkajs), all in this process, running until stop():
//
//   - steady producers: one idempotent producer (acks=all) per long-lived topic, sending a
//     batch every 100 ms at the configured rate; the topics have a short retention.ms, so
//     retention expires extents and deletes objects all the time;
//   - steady groups: one consumer group per long-lived topic, committing after every
//     batch; every `churnEveryMs` one member of a random group leaves (LeaveGroup) and a
//     new one joins, so the group rebalances twice;
//   - topic cycles: every `cycleEveryMs` a new topic is created, a fresh producer writes to
//     it, a fresh consumer group reads all of it and commits, and the topic is deleted —
//     new connections, partitions opened and dropped, offsets deleted with the topic;
//   - ephemeral groups: every `ephemeralEveryMs` a new group reads a long-lived topic for a
//     moment, commits and leaves for good, so offset expiry (groups.offsetsRetention) has
//     groups to forget.
//
// Errors never stop the workload: each is counted by kind (the last message kept) and
// the loop goes on. kafkajs retries what it can first.

import kafkajs from 'kafkajs';
import type { Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import type { Rng } from './rng.ts';

const { Kafka, logLevel, CompressionTypes } = kafkajs;

export interface WorkloadOptions {
  readonly bootstrap: string;
  readonly rng: Rng;
  readonly steadyTopics: number;
  readonly partitions: number;
  /** Records per second per steady topic. */
  readonly recordsPerSecond: number;
  readonly valueBytes: number;
  /** Topic configs of the steady topics (retention.ms, segment.ms, ...). */
  readonly topicConfigs: Readonly<Record<string, string>>;
  readonly membersPerGroup: number;
  readonly churnEveryMs: number;
  readonly cycleEveryMs: number;
  readonly cycleRecords: number;
  readonly ephemeralEveryMs: number;
  /** How long an ephemeral group reads before it leaves. */
  readonly ephemeralReadMs: number;
  readonly log: (line: string) => void;
}

export interface WorkloadCounters {
  produced: number;
  consumed: number;
  /** Members that joined a generation (kafkajs GROUP_JOIN events). */
  joins: number;
  memberChurns: number;
  cycles: number;
  topicsCreated: number;
  topicsDeleted: number;
  ephemeralGroups: number;
  producerRestarts: number;
  /** Errors by kind, each with its count and last message. */
  errors: Record<string, { count: number; last: string }>;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Rejects after `ms` unless `p` settles first. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

interface Member {
  readonly consumer: Consumer;
  readonly name: string;
}

export class Workload {
  readonly counters: WorkloadCounters = {
    produced: 0,
    consumed: 0,
    joins: 0,
    memberChurns: 0,
    cycles: 0,
    topicsCreated: 0,
    topicsDeleted: 0,
    ephemeralGroups: 0,
    producerRestarts: 0,
    errors: {},
  };
  readonly steadyTopics: string[];
  private readonly o: WorkloadOptions;
  private readonly kafka: KafkaClient;
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly groups = new Map<string, Member[]>();
  private memberSeq = 0;
  private readonly value: Buffer;

  constructor(o: WorkloadOptions) {
    this.o = o;
    this.kafka = client(o.bootstrap, 'soak');
    this.steadyTopics = Array.from({ length: o.steadyTopics }, (_, i) => `soak-steady-${i}`);
    this.value = Buffer.alloc(o.valueBytes, 'stratus-soak-');
  }

  /** Creates the steady topics, starts their producers and groups, then the churn loops. */
  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: this.steadyTopics.map((topic, i) => ({
          topic,
          numPartitions: this.o.partitions,
          // Both durabilities: object-durability appends wait for the commit, local ones for the WAL.
          configEntries: Object.entries({ ...this.o.topicConfigs, 'stratus.durability': i % 2 === 0 ? 'local' : 'object' }).map(([name, value]) => ({ name, value })),
        })),
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    this.counters.topicsCreated += this.steadyTopics.length;
    for (const [i, topic] of this.steadyTopics.entries()) {
      this.loops.push(this.steadyProducer(topic, i));
      const group = `soak-group-${i}`;
      this.groups.set(group, []);
      for (let m = 0; m < this.o.membersPerGroup; m++) await this.addMember(group, topic);
    }
    this.loops.push(this.every(this.o.churnEveryMs, 'churn', () => this.churnOne()));
    this.loops.push(this.every(this.o.cycleEveryMs, 'cycle', () => this.topicCycle()));
    this.loops.push(this.every(this.o.ephemeralEveryMs, 'ephemeral', () => this.ephemeralGroup()));
  }

  /** Stops every loop and disconnects every client (members leave their groups). */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
    for (const members of this.groups.values()) {
      await Promise.all(members.map((m) => this.quietly('disconnect', () => within(m.consumer.disconnect(), 30_000, 'consumer disconnect'))));
    }
    this.groups.clear();
  }

  /** Counts an error of `kind` (the first three of a kind are logged). */
  private fail(kind: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    const entry = (this.counters.errors[kind] ??= { count: 0, last: '' });
    entry.count++;
    entry.last = message.slice(0, 300);
    if (entry.count <= 3) this.o.log(`  workload: ${kind} failed: ${message}`);
  }

  private async quietly(kind: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      this.fail(kind, e);
    }
  }

  private async every(ms: number, kind: string, f: () => Promise<void>): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      await sleep(this.o.rng.jitter(ms), signal);
      if (signal.aborted) return;
      await this.quietly(kind, f);
    }
  }

  // --- steady producers -------------------------------------------------------------------

  private async steadyProducer(topic: string, index: number): Promise<void> {
    const signal = this.abort.signal;
    const tickMs = 100;
    const perTick = Math.max(1, Math.round((this.o.recordsPerSecond * tickMs) / 1000));
    const compression = index % 3 === 1 ? CompressionTypes.GZIP : CompressionTypes.None;
    let producer: Producer | undefined;
    let seq = 0;
    let next = performance.now();
    while (!signal.aborted) {
      try {
        if (producer === undefined) {
          producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
          await producer.connect();
        }
        const messages = Array.from({ length: perTick }, () => ({ key: `k${seq++ % 1000}`, value: this.value }));
        await within(producer.send({ topic, acks: -1, compression, messages }), 60_000, 'produce');
        this.counters.produced += messages.length;
      } catch (e) {
        // A send that failed after kafkajs's retries has an unknown outcome: a new producer
        // (a new producer id) goes on, as an application would.
        this.fail('produce', e);
        const failed = producer;
        producer = undefined;
        this.counters.producerRestarts++;
        await this.quietly('producer disconnect', () => within(failed?.disconnect() ?? Promise.resolve(), 10_000, 'producer disconnect'));
        await sleep(1000, signal);
      }
      next += tickMs;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait, signal);
      else next = performance.now(); // behind: do not burst to catch up
    }
    await this.quietly('producer disconnect', () => within(producer?.disconnect() ?? Promise.resolve(), 10_000, 'producer disconnect'));
  }

  // --- steady groups and their churn --------------------------------------------------------

  private async addMember(group: string, topic: string): Promise<void> {
    const name = `${group}-m${this.memberSeq++}`;
    const consumer = this.consumer(group);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => this.counters.joins++);
    consumer.on(consumer.events.CRASH, (e) => this.fail('consumer crash', e.payload.error));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        this.counters.consumed += batch.messages.length;
      },
    });
    this.groups.get(group)!.push({ consumer, name });
  }

  /** One member of a random steady group leaves and a new one joins. */
  private async churnOne(): Promise<void> {
    const index = this.o.rng.int(0, this.steadyTopics.length - 1);
    const group = `soak-group-${index}`;
    const members = this.groups.get(group);
    if (members === undefined || members.length === 0) return;
    const leaving = members.splice(this.o.rng.int(0, members.length - 1), 1)[0]!;
    await within(leaving.consumer.disconnect(), 30_000, 'member leave');
    await this.addMember(group, this.steadyTopics[index]!);
    this.counters.memberChurns++;
  }

  private consumer(groupId: string): Consumer {
    return this.kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 15_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
  }

  // --- topic cycles -------------------------------------------------------------------------

  /** Create a topic, write to it, read all of it in a new group, delete it. Each client is new. */
  private async topicCycle(): Promise<void> {
    const n = this.counters.cycles;
    const topic = `soak-cycle-${n}`;
    const kafka = client(this.o.bootstrap, `soak-cycle-${n}`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      this.counters.topicsCreated++;
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        const perSend = Math.max(1, Math.ceil(this.o.cycleRecords / 4));
        for (let sent = 0; sent < this.o.cycleRecords; sent += perSend) {
          const messages = Array.from({ length: Math.min(perSend, this.o.cycleRecords - sent) }, (_, i) => ({ key: `c${sent + i}`, value: this.value }));
          await within(producer.send({ topic, acks: -1, messages }), 60_000, 'cycle produce');
          this.counters.produced += messages.length;
        }
      } finally {
        await producer.disconnect();
      }
      await this.readAll(kafka, `soak-cycle-group-${n}`, topic, this.o.cycleRecords);
    } finally {
      try {
        await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
        this.counters.topicsDeleted++;
      } finally {
        await admin.disconnect();
      }
    }
    this.counters.cycles++;
  }

  /** A new group reads `count` records of `topic` from the beginning, commits, and leaves. */
  private async readAll(kafka: KafkaClient, groupId: string, topic: string, count: number): Promise<void> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let read = 0;
      let done!: () => void;
      const all = new Promise<void>((resolve) => (done = resolve));
      await consumer.run({
        eachBatch: async ({ batch }) => {
          read += batch.messages.length;
          this.counters.consumed += batch.messages.length;
          if (read >= count) done();
        },
      });
      await within(all, 30_000, `reading ${count} records of ${topic} (${read} read)`);
    } finally {
      await within(consumer.disconnect(), 30_000, 'cycle consumer disconnect');
    }
  }

  // --- ephemeral groups -----------------------------------------------------------------------

  /** A new group reads a steady topic for a moment (committing), then leaves for good. */
  private async ephemeralGroup(): Promise<void> {
    const n = this.counters.ephemeralGroups++;
    const consumer = this.consumer(`soak-ephemeral-${n}`);
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: this.o.rng.pick(this.steadyTopics), fromBeginning: false });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          this.counters.consumed += batch.messages.length;
        },
      });
      await sleep(this.o.ephemeralReadMs, this.abort.signal);
    } finally {
      await within(consumer.disconnect(), 30_000, 'ephemeral consumer disconnect');
    }
  }
}

function client(bootstrap: string, clientId: string): KafkaClient {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  });
}
