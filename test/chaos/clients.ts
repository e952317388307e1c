// The chaos campaigns' clients as one unit, shared by the single-node campaign (campaign.ts)
// and the cluster campaign (cluster-campaign.ts): the topics, the producers and the consumer
// group that run through every fault (workload.ts), their end once the faults stop (the
// producers finish, the group catches up), and the verdicts on what was acknowledged
// against what a final start serves from the object store alone (checks.ts). A campaign
// only decides what the faults are and what "a final start without the WAL" means for it.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../compat/support/process.ts';
import { checkCaughtUp, checkCommittedOffsets, checkTopicLog } from './checks.ts';
import type { CheckResult, ReadRecord } from './checks.ts';
import { GroupConsumers, JavaProducer, JsProducer, OffsetObserver, tp, withAdmin } from './workload.ts';
import type { Ack, TopicSpec } from './workload.ts';

const execFileP = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const TOPICS: readonly TopicSpec[] = [
  { name: 'chaos-local', partitions: 3, durability: 'local' },
  { name: 'chaos-object', partitions: 2, durability: 'object' },
];

/**
 * Records a second: each Java producer (one per topic, tiny records), and a kafkajs producer
 * per topic (100-2000 byte values): the local topic's fills storage.pendingBytes (2 MiB) in
 * about ten seconds of outage, so longer outages make the broker refuse appends.
 */
const JAVA_RATE = 50;
const JS_RATE: Readonly<Record<TopicSpec['durability'], number>> = { local: 150, object: 50 };

/** Reads a topic from offset 0 to its end with kcat (librdkafka): partition, offset, key and value length of each record. */
async function readTopic(bootstrap: string, topic: string): Promise<ReadRecord[]> {
  const { stdout } = await execFileP('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %S\\n'], {
    maxBuffer: 1 << 30,
    timeout: 300_000,
  });
  const out: ReadRecord[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [p, o, k, s] = line.split(' ');
    out.push({ partition: Number(p), offset: Number(o), key: k!, size: Number(s) });
  }
  return out;
}

export async function eventually(timeoutMs: number, f: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await f()) return true;
    await sleep(500);
  }
  return false;
}

function countErrors(errors: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) out[e] = (out[e] ?? 0) + 1;
  return out;
}

export interface ClientCounts {
  readonly recordsAcked: Readonly<Record<string, number>>;
  readonly recordsAckedTotal: number;
  readonly recordsRead: Readonly<Record<string, number>>;
  readonly javaFailedRecords: number;
  readonly javaProducers: readonly {
    topic: string;
    count: number;
    acked: number;
    failed: number;
    ended: string;
    errors: Readonly<Record<string, number>>;
    outOfOrderResponses: number;
    epochBumps: number;
  }[];
  readonly kafkajsFailedSends: number;
  readonly kafkajsProducers: number;
  readonly kafkajsErrors: Readonly<Record<string, number>>;
  readonly consumerRecords: number;
  readonly commitsAcked: number;
  readonly commitFailures: number;
  readonly consumerCrashes: number;
  readonly groupJoins: number;
  readonly offsetObservations: number;
  readonly offsetObservationErrors: number;
}

export class CampaignClients {
  readonly java: JavaProducer[] = [];
  readonly js: JsProducer[] = [];
  readonly group: string;
  readonly javaEnds: string[] = [];
  readonly recordsRead: Record<string, number> = {};
  private consumers: GroupConsumers | undefined;
  private observer: OffsetObserver | undefined;
  private readonly t0: number;
  private readonly deliveryTimeoutMs: number;

  private constructor(group: string, t0: number, deliveryTimeoutMs: number) {
    this.group = group;
    this.t0 = t0;
    this.deliveryTimeoutMs = deliveryTimeoutMs;
  }

  /** The campaign's topics, on `bootstrap` (host:port, comma-separated for several brokers). */
  static async createTopics(bootstrap: string): Promise<void> {
    await withAdmin(bootstrap, async (admin) => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: TOPICS.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1, configEntries: [{ name: 'stratus.durability', value: t.durability }] })),
      });
    });
  }

  /**
   * Starts the producers (Java ones sized to the window), the group's 2 members and the
   * offset observer. `t0`: the campaign's start (commit times are judged from it).
   */
  static async start(o: { bootstrap: string; seed: number; windowMs: number; workDir: string; javaClasses: string; deliveryTimeoutMs: number; t0: number }): Promise<CampaignClients> {
    const c = new CampaignClients(`chaos-group-${o.seed}`, o.t0, o.deliveryTimeoutMs);
    const seconds = Math.max(1, Math.round(o.windowMs / 1000));
    for (const t of TOPICS) {
      c.java.push(
        JavaProducer.start({
          repo: REPO,
          javaClasses: o.javaClasses,
          bootstrap: o.bootstrap,
          topic: t.name,
          count: JAVA_RATE * seconds,
          rate: JAVA_RATE,
          logFile: join(o.workDir, `java-${t.name}.log`),
          props: { 'delivery.timeout.ms': String(o.deliveryTimeoutMs) },
        }),
      );
    }
    for (const t of TOPICS) c.js.push(new JsProducer({ name: t.durability === 'local' ? 'l' : 'o', bootstrap: o.bootstrap, topics: [t], seed: o.seed, recordsPerSecond: JS_RATE[t.durability] }));
    const topicNames = TOPICS.map((t) => t.name);
    c.consumers = await GroupConsumers.start({ bootstrap: o.bootstrap, group: c.group, topics: topicNames, members: 2 });
    c.observer = await OffsetObserver.start({ bootstrap: o.bootstrap, group: c.group, topics: topicNames });
    return c;
  }

  static describe(): string {
    return `on each topic a Java StreamProducer (${JAVA_RATE} rec/s) and a kafkajs producer (${TOPICS.map((t) => `${t.name} ${JS_RATE[t.durability]} rec/s`).join(', ')}); 2 group members; offsets observed every second`;
  }

  /** The faults are over: the producers finish, the group catches up with every partition's end. Returns the catch-up check. */
  async finish(o: { bootstrap: string; say: (line: string) => void; problems: string[] }): Promise<CheckResult> {
    const { deliveryTimeoutMs } = this;
    for (const p of this.java) {
      const how = await p.finish(deliveryTimeoutMs + 60_000);
      this.javaEnds.push(how === 'finished' ? `exit ${String(p.child.exitCode)}` : `killed after ${deliveryTimeoutMs / 1000 + 60} s`);
      if (how === 'killed') o.problems.push(`Java producer on ${p.topic} had not finished ${deliveryTimeoutMs / 1000 + 60} s after the faults stopped (acked ${p.acks.length} of ${p.count}); stderr ends:\n${p.stderr.slice(-2000)}`);
    }
    for (const p of this.js) await p.stop();
    o.say(`producers done: ${[...this.java.map((p) => `${p.topic} Java ${p.acks.length} acked/${p.failures.length} failed`), ...this.js.map((p) => `kafkajs ${p.name} ${p.acks.length} acked/${p.failedSends} sends failed`)].join(', ')}`);

    const ends = new Map<string, number>();
    await withAdmin(o.bootstrap, async (admin) => {
      for (const t of TOPICS) for (const x of await admin.fetchTopicOffsets(t.name)) ends.set(tp(t.name, x.partition), Number(x.high));
    });
    const obs = this.observer!;
    const caughtUp = await eventually(120_000, async () => {
      await obs.observe();
      const latest = obs.latest();
      return [...ends].every(([k, end]) => latest?.get(k) === end);
    });
    o.say(caughtUp ? 'consumer group caught up' : 'consumer group did not catch up within 120 s');
    await this.consumers!.stop();
    await obs.stop();
    await obs.observe().catch(() => undefined);
    return checkCaughtUp(obs.latest(), ends);
  }

  /**
   * After the final start (the WAL gone: everything from the object store): every topic read
   * back with kcat and judged against what was acknowledged and seen, the group's offsets
   * observed once more, and the clients' own verdicts.
   */
  async verify(bootstrap: string): Promise<CheckResult[]> {
    const checks: CheckResult[] = [];
    const consumers = this.consumers!;
    const observer = this.observer!;
    const { java, js } = this;
    const acksByTopic = new Map<string, Ack[]>(TOPICS.map((t) => [t.name, []]));
    for (const a of [...java.flatMap((p) => p.acks), ...js.flatMap((p) => p.acks)]) acksByTopic.get(a.topic)!.push(a);
    const jsSent = new Map(js.flatMap((p) => [...p.sent]));
    const javaCount = new Map(java.map((p) => [p.topic, p.count]));
    for (const t of TOPICS) {
      const read = await readTopic(bootstrap, t.name);
      this.recordsRead[t.name] = read.length;
      checks.push(
        ...checkTopicLog({
          topic: t.name,
          partitions: t.partitions,
          read,
          acks: acksByTopic.get(t.name)!,
          sentSize: (key) => {
            if (key.startsWith('k-')) {
              const i = Number(key.slice(2));
              return Number.isSafeInteger(i) && i >= 0 && i < javaCount.get(t.name)! ? `v-${i}`.length : undefined;
            }
            const s = jsSent.get(key);
            return s?.topic === t.name ? s.size : undefined;
          },
          seen: (p) => consumers.seen.keys(tp(t.name, p)),
          sendOrder: (key) => {
            if (key.startsWith('k-')) return { producer: 'java', seq: Number(key.slice(2)) };
            const s = jsSent.get(key);
            const n = /^js([a-z]*)-(\d+)$/.exec(key);
            return s === undefined || n === null ? undefined : { producer: `kafkajs ${n[1]!} session ${s.session}`, seq: Number(n[2]) };
          },
        }),
      );
    }
    // One more observation on the final start: nothing acknowledged may be missing there either.
    const finalObserver = await OffsetObserver.start({ bootstrap, group: this.group, topics: TOPICS.map((t) => t.name) });
    await finalObserver.observe();
    await finalObserver.stop();
    checks.push(...checkCommittedOffsets([...observer.observations, ...finalObserver.observations], consumers.commits, this.t0));
    checks.push({
      name: 'consumers: every record matched its key, offsets increased within each batch',
      ok: consumers.badValues.length === 0 && consumers.outOfOrder.length === 0,
      detail:
        consumers.badValues.length + consumers.outOfOrder.length === 0
          ? `${consumers.seen.records} records consumed`
          : [...consumers.badValues, ...consumers.outOfOrder].slice(0, 10).join('; '),
    });
    const javaFailed = java.filter((p) => p.failures.length > 0 || p.acks.length !== p.count);
    checks.push({
      name: `producers: the Java producers had every record acknowledged (no fault lasts near delivery.timeout.ms, ${this.deliveryTimeoutMs / 1000} s)`,
      ok: javaFailed.length === 0,
      detail:
        javaFailed.length === 0
          ? `${java.reduce((n, p) => n + p.count, 0)} records`
          : javaFailed.map((p) => `${p.topic}: ${p.acks.length} of ${p.count} acknowledged, ${p.failures.length} failed (first: ${p.failures[0]?.key ?? '-'}: ${p.failures[0]?.error.slice(0, 160) ?? '-'})`).join('; '),
    });
    checks.push({
      name: 'consumers: an offset never held two different records during the run',
      ok: consumers.seen.conflicts.length === 0,
      detail: consumers.seen.conflicts.length === 0 ? 'no conflict' : consumers.seen.conflicts.slice(0, 10).join('; '),
    });
    return checks;
  }

  /** Stops whatever still runs (the campaign failed half-way, or it is over). */
  async abort(): Promise<void> {
    for (const p of this.java) if (p.alive) p.child.kill('SIGKILL');
    for (const p of this.js) await p.stop().catch(() => undefined);
    await this.consumers?.stop().catch(() => undefined);
    await this.observer?.stop().catch(() => undefined);
  }

  /** What the clients did; all zero when the campaign failed before they started. */
  static counts(c: CampaignClients | undefined): ClientCounts {
    return (c ?? new CampaignClients('', 0, 0)).counts();
  }

  counts(): ClientCounts {
    const { java, js, consumers, observer } = this;
    const acked: Record<string, number> = Object.fromEntries(TOPICS.map((t) => [t.name, 0]));
    for (const a of [...java.flatMap((p) => p.acks), ...js.flatMap((p) => p.acks)]) acked[a.topic] = (acked[a.topic] ?? 0) + 1;
    return {
      recordsAcked: acked,
      recordsAckedTotal: Object.values(acked).reduce((x, y) => x + y, 0),
      recordsRead: this.recordsRead,
      javaFailedRecords: java.reduce((n, p) => n + p.failures.length, 0),
      javaProducers: java.map((p, i) => ({
        topic: p.topic,
        count: p.count,
        acked: p.acks.length,
        failed: p.failures.length,
        ended: this.javaEnds[i] ?? 'unknown',
        errors: countErrors(p.failures.map((f) => f.error.replace(/\d+ ms has passed/, 'N ms has passed'))),
        outOfOrderResponses: p.outOfOrderResponses,
        epochBumps: p.epochBumps,
      })),
      kafkajsFailedSends: js.reduce((n, p) => n + p.failedSends, 0),
      kafkajsProducers: js.reduce((n, p) => n + p.producers, 0),
      kafkajsErrors: Object.fromEntries(js.flatMap((p) => [...p.errors].map(([k, v]) => [`${p.name}:${k}`, v] as const))),
      consumerRecords: consumers?.seen.records ?? 0,
      commitsAcked: consumers?.commits.length ?? 0,
      commitFailures: consumers?.commitFailures ?? 0,
      consumerCrashes: consumers?.crashes ?? 0,
      groupJoins: consumers?.joins ?? 0,
      offsetObservations: observer?.observations.length ?? 0,
      offsetObservationErrors: observer?.errors ?? 0,
    };
  }
}

/** The summary lines about the clients, common to both campaigns' summaries. */
export function clientSummaryLines(c: ClientCounts): string[] {
  return [
    `  records acknowledged: ${c.recordsAckedTotal} (${Object.entries(c.recordsAcked).map(([t, n]) => `${t} ${n}`).join(', ')}); read back: ${Object.entries(c.recordsRead).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `  producers: Java ${c.javaProducers.map((p) => `${p.topic} ${p.acked}/${p.count} acked, ${p.failed} failed, ${p.ended}, ${p.outOfOrderResponses} OUT_OF_ORDER_SEQUENCE_NUMBER answers, ${p.epochBumps} epoch bumps`).join('; ')}; kafkajs ${c.kafkajsFailedSends} failed sends (${Object.entries(c.kafkajsErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), ${c.kafkajsProducers} producer ids`,
    ...c.javaProducers.flatMap((p) => Object.entries(p.errors).map(([e, n]) => `    Java ${p.topic}: ${n} × ${e}`)),
  ];
}

export function groupSummaryLine(c: ClientCounts): string {
  return `  group: ${c.consumerRecords} records consumed, ${c.commitsAcked} commits acknowledged (${c.commitFailures} failed), ${c.groupJoins} joins, ${c.consumerCrashes} consumer crashes, ${c.offsetObservations} offset observations (${c.offsetObservationErrors} failed)`;
}
