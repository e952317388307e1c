// The chaos campaign's clients, running through every fault:
//   - JavaProducer: test/compat/java/StreamProducer (Kafka's Java client, its defaults:
//     idempotent, acks=all, up to 5 batches in flight), paced, riding through restarts with
//     its own retries; prints every acknowledgement (key k-<i>, value v-<i>).
//   - JsProducer: a kafkajs idempotent producer (acks=all, one request in flight), batches of
//     seeded sizes to seeded partitions of its topics, keys js<name>-<n>, values of seeded length
//     that name their key. A send that fails after kafkajs's own retries has an unknown
//     outcome; the producer is then replaced (a new producer id), since reusing the failed
//     batch's sequence numbers for other records would be a client bug, not the broker's.
//   - GroupConsumers: kafkajs members of one group, reading every topic, checking each
//     record's value against its key and each offset against what was read there before,
//     committing after every batch and recording each acknowledged commit.
//   - OffsetObserver: polls the group's committed offsets (OffsetFetch) every second, so the
//     checks can tell whether they ever went backwards, across restarts too.

import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, Producer } from 'kafkajs';
import { Rng } from '../fuzz/support/rng.ts';

const { Kafka, logLevel } = kafkajs;

export interface Ack {
  readonly topic: string;
  readonly key: string;
  readonly partition: number;
  readonly offset: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly durability: 'local' | 'object';
}

/** "topic/partition". */
export function tp(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

function kafka(bootstrap: string, clientId: string, retries = 8): InstanceType<typeof Kafka> {
  return new Kafka({
    clientId,
    // host:port, or several comma-separated (the cluster campaign bootstraps to every broker).
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries, initialRetryTime: 300, maxRetryTime: 5000 },
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------

export class JavaProducer {
  readonly topic: string;
  readonly count: number;
  readonly acks: Ack[] = [];
  readonly failures: { key: string; error: string }[] = [];
  summary: Record<string, unknown> | undefined;
  /** From the client's log: OUT_OF_ORDER_SEQUENCE_NUMBER answers, and epoch bumps (it resets its sequences after one). */
  outOfOrderResponses = 0;
  epochBumps = 0;
  private stderrTail = '';
  readonly exited: Promise<number | null>;
  readonly child: ChildProcess;

  private constructor(topic: string, count: number, child: ChildProcess, logFile: string | undefined) {
    this.topic = topic;
    this.count = count;
    this.child = child;
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString('utf8');
      const nl = buffered.lastIndexOf('\n');
      if (nl < 0) return;
      for (const line of buffered.slice(0, nl).split('\n')) {
        if (!line.startsWith('{')) continue;
        const j = JSON.parse(line) as Record<string, unknown>;
        if ('summary' in j) this.summary = j;
        else if ('acked' in j) this.acks.push({ topic, key: j['key'] as string, partition: j['partition'] as number, offset: j['offset'] as number });
        else if ('failed' in j) this.failures.push({ key: `k-${j['failed'] as number}`, error: String(j['error']) });
      }
      buffered = buffered.slice(nl + 1);
    });
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString('utf8');
      this.outOfOrderResponses += text.match(/Error: OUT_OF_ORDER_SEQUENCE_NUMBER/g)?.length ?? 0;
      this.epochBumps += [...text.matchAll(/ProducerId set to \d+ with epoch (\d+)/g)].filter((m) => m[1] !== '0').length;
      this.stderrTail = (this.stderrTail + text).slice(-20_000);
      if (logFile !== undefined) appendFileSync(logFile, d);
    });
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  /** `logFile`: where its stderr (the Java client's log) goes, whole. */
  static start(o: {
    repo: string;
    javaClasses: string;
    bootstrap: string;
    topic: string;
    count: number;
    rate: number;
    logFile?: string;
    props?: Readonly<Record<string, string>>;
  }): JavaProducer {
    const props = { 'client.id': `chaos-java-${o.topic}`, 'linger.ms': '5', ...o.props };
    const args = ['--bootstrap', o.bootstrap, '--topic', o.topic, '--count', String(o.count), '--rate', String(o.rate), ...Object.entries(props).flatMap(([k, v]) => ['--prop', `${k}=${v}`])];
    const child = spawn('bash', [path.join(o.repo, 'test/peers/kafka-run.sh'), 'StreamProducer', ...args], {
      cwd: o.repo,
      env: { ...process.env, KAFKA_RUN_CP: o.javaClasses, KAFKA_HEAP_OPTS: '-Xms32m -Xmx256m' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new JavaProducer(o.topic, o.count, child, o.logFile);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get stderr(): string {
    return this.stderrTail;
  }

  /** Waits for it to finish its count; kills it (its unacknowledged records stay unknown) after `timeoutMs`. */
  async finish(timeoutMs: number): Promise<'finished' | 'killed'> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exited.then(() => 'finished' as const), new Promise<'late'>((res) => (timer = setTimeout(() => res('late'), timeoutMs)))]);
    clearTimeout(timer);
    if (r === 'finished') return r;
    this.child.kill('SIGKILL');
    await this.exited;
    return 'killed';
  }
}

// ---------------------------------------------------------------------------------------

/** A kafkajs record value: names its key and its length, padded to the length. */
export function jsValue(key: string, size: number): string {
  const head = `${key}:${size}:`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

/** The value a record with `key` must have, or undefined for a key nobody sends. */
export function valueMatchesKey(key: string, value: string): boolean {
  if (key.startsWith('k-')) return value === `v-${key.slice(2)}`;
  const m = /^js[a-z]*-\d+:(\d+):/.exec(value);
  return m !== null && value.startsWith(`${key}:`) && value === jsValue(key, Number(m[1]));
}

export class JsProducer {
  readonly acks: Ack[] = [];
  /** Every key ever sent (acknowledged or not): its topic, value length and producer session (1, 2, ...: a new producer id each). */
  readonly sent = new Map<string, { topic: string; size: number; session: number }>();
  failedSends = 0;
  producers = 0;
  readonly errors = new Map<string, number>();
  private running = true;
  private readonly done: Promise<void>;

  readonly name: string;

  /** `name` prefixes its keys (js<name>-<n>) and seeds its choices together with `seed`. */
  constructor(o: { name: string; bootstrap: string; topics: readonly TopicSpec[]; seed: number; recordsPerSecond: number }) {
    this.name = o.name;
    let stream = 0x15;
    for (const ch of o.name) stream = (Math.imul(stream, 31) + ch.charCodeAt(0)) | 0;
    const rng = new Rng(o.seed, stream);
    this.done = (async () => {
      let producer: Producer | undefined;
      let n = 0;
      const t0 = Date.now();
      let records = 0;
      while (this.running) {
        try {
          if (producer === undefined) {
            producer = kafka(o.bootstrap, `chaos-kafkajs-${o.name}`).producer({ idempotent: true, maxInFlightRequests: 1 });
            this.producers++;
            await producer.connect();
          }
          const topic = rng.pick(o.topics);
          const partition = rng.int(0, topic.partitions - 1);
          const count = rng.int(1, 20);
          const messages = Array.from({ length: count }, () => {
            const key = `js${o.name}-${n++}`;
            const size = rng.int(100, 2000);
            this.sent.set(key, { topic: topic.name, size, session: this.producers });
            return { key, value: jsValue(key, size), partition };
          });
          const [r] = await producer.send({ topic: topic.name, acks: -1, timeout: 10_000, messages });
          const base = Number(r!.baseOffset);
          messages.forEach((m, i) => this.acks.push({ topic: topic.name, key: m.key, partition: r!.partition, offset: base + i }));
          records += count;
        } catch (e) {
          this.failedSends++;
          const err = e as { type?: string; name?: string; cause?: { type?: string; name?: string } };
          const name = err.cause?.type ?? err.cause?.name ?? err.type ?? err.name ?? 'error';
          this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
          // Outcome unknown: a new producer id, so no later batch reuses these sequence numbers.
          await producer?.disconnect().catch(() => undefined);
          producer = undefined;
          await sleep(500);
        }
        // Pace to the rate (catching up after a stall, but at most a second's worth at once).
        const ahead = (records / o.recordsPerSecond) * 1000 - (Date.now() - t0);
        if (ahead > 0) await sleep(ahead);
        else if (ahead < -1000) records = Math.floor(((Date.now() - t0 - 1000) / 1000) * o.recordsPerSecond);
      }
      await producer?.disconnect().catch(() => undefined);
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

// ---------------------------------------------------------------------------------------

export interface CommitAck {
  /** Date.now() when the commit's answer arrived. */
  readonly at: number;
  readonly tp: string;
  readonly offset: number;
}

/** What consumers read at each offset during the run: "topic/partition" → offset → key. */
export class SeenLog {
  private readonly at = new Map<string, string[]>();
  readonly conflicts: string[] = [];
  records = 0;

  record(topic: string, partition: number, offset: number, key: string): void {
    this.records++;
    const k = tp(topic, partition);
    let keys = this.at.get(k);
    if (keys === undefined) this.at.set(k, (keys = []));
    const before = keys[offset];
    if (before === undefined) keys[offset] = key;
    else if (before !== key && this.conflicts.length < 100) this.conflicts.push(`${k} offset ${offset}: read ${key}, earlier ${before}`);
  }

  keys(key: string): readonly (string | undefined)[] {
    return this.at.get(key) ?? [];
  }

  partitions(): string[] {
    return [...this.at.keys()];
  }
}

export class GroupConsumers {
  readonly group: string;
  readonly commits: CommitAck[] = [];
  readonly seen = new SeenLog();
  readonly badValues: string[] = [];
  readonly outOfOrder: string[] = [];
  commitFailures = 0;
  crashes = 0;
  joins = 0;
  private readonly consumers: Consumer[] = [];
  private readonly bootstrap: string;
  private readonly topics: readonly string[];
  private stopped = false;

  private constructor(bootstrap: string, group: string, topics: readonly string[]) {
    this.bootstrap = bootstrap;
    this.group = group;
    this.topics = topics;
  }

  static async start(o: { bootstrap: string; group: string; topics: readonly string[]; members: number }): Promise<GroupConsumers> {
    const g = new GroupConsumers(o.bootstrap, o.group, o.topics);
    for (let i = 0; i < o.members; i++) await g.member(i);
    return g;
  }

  private async member(i: number): Promise<void> {
    const consumer = kafka(this.bootstrap, `chaos-consumer-${i}`, 10).consumer({
      groupId: this.group,
      sessionTimeout: 10_000,
      rebalanceTimeout: 15_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 64 * 1024,
    });
    this.consumers[i] = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => void this.joins++);
    consumer.on(consumer.events.CRASH, (e) => {
      this.crashes++;
      // kafkajs restarts the member itself unless the error is not retriable: then a new one.
      if (!e.payload.restart && !this.stopped) {
        void consumer.disconnect().catch(() => undefined);
        void sleep(1000).then(() => (this.stopped ? undefined : this.member(i).catch(() => undefined)));
      }
    });
    await consumer.connect();
    for (const topic of this.topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        let last = -1;
        for (const m of batch.messages) {
          if (!isRunning() || isStale()) break;
          const offset = Number(m.offset);
          const key = m.key?.toString() ?? '<null>';
          if (offset <= last && this.outOfOrder.length < 100) this.outOfOrder.push(`${tp(batch.topic, batch.partition)}: offset ${offset} after ${last}`);
          if (!valueMatchesKey(key, m.value?.toString() ?? '') && this.badValues.length < 100) {
            this.badValues.push(`${tp(batch.topic, batch.partition)} offset ${offset}: key ${key}, value ${(m.value?.toString() ?? '<null>').slice(0, 40)}`);
          }
          this.seen.record(batch.topic, batch.partition, offset, key);
          resolveOffset(m.offset);
          last = offset;
        }
        if (last < 0) return;
        try {
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(last + 1) }]);
          this.commits.push({ at: Date.now(), tp: tp(batch.topic, batch.partition), offset: last + 1 });
        } catch {
          this.commitFailures++;
        }
        await heartbeat().catch(() => undefined);
      },
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.consumers.map((c) => c.disconnect().catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------

export interface OffsetObservation {
  /** Date.now() when the OffsetFetch was sent: every commit acknowledged before it must show. */
  readonly at: number;
  /** "topic/partition" → committed offset (-1: none). */
  readonly offsets: ReadonlyMap<string, number>;
}

export class OffsetObserver {
  readonly observations: OffsetObservation[] = [];
  errors = 0;
  private running = true;
  private readonly admin: Admin;
  private readonly done: Promise<void>;
  private readonly group: string;
  private readonly topics: readonly string[];

  private constructor(admin: Admin, group: string, topics: readonly string[]) {
    this.admin = admin;
    this.group = group;
    this.topics = topics;
    this.done = (async () => {
      while (this.running) {
        await this.observe();
        await sleep(1000);
      }
    })();
  }

  static async start(o: { bootstrap: string; group: string; topics: readonly string[] }): Promise<OffsetObserver> {
    const admin = kafka(o.bootstrap, 'chaos-observer', 2).admin();
    await admin.connect();
    return new OffsetObserver(admin, o.group, o.topics);
  }

  /** One OffsetFetch of the group; false when it failed (broker down, say). */
  async observe(): Promise<boolean> {
    const at = Date.now();
    try {
      const r = await this.admin.fetchOffsets({ groupId: this.group, topics: [...this.topics] });
      const offsets = new Map<string, number>();
      for (const t of r) for (const p of t.partitions) offsets.set(tp(t.topic, p.partition), Number(p.offset));
      this.observations.push({ at, offsets });
      return true;
    } catch {
      this.errors++;
      return false;
    }
  }

  latest(): ReadonlyMap<string, number> | undefined {
    return this.observations.at(-1)?.offsets;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    await this.admin.disconnect().catch(() => undefined);
  }
}

export async function withAdmin<T>(bootstrap: string, f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka(bootstrap, 'chaos-admin').admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
