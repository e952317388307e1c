// The chaos campaign (issue 9 §5): a real `stratus dev` on MinIO behind a fault-injecting TCP
// proxy, idempotent acks=all producers and a consumer group running throughout, and a seeded
// schedule of faults (schedule.ts): SIGKILL and SIGTERM with restarts on the same data
// directory, object-store outages and slow periods, and kills and stops during them. When
// the time is up the faults stop, the clients finish, the broker is stopped cleanly (which
// uploads everything), its WAL is moved aside, and a final start must serve every record
// from the object store alone; then checks.ts judges the log and the group's offsets.
//
// Used by run.ts (`npm run chaos -- --seed N --minutes M`) and by the short run in
// chaos.compat.ts. Needs MinIO, kcat and the Java programs (test/peers/provision.sh and
// compat-peers.sh, which `npm test` runs first).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openObjectStore } from '@stratus/objectstore';
import { provisionedPeers } from '../compat/support/peers.ts';
import { REPO } from '../compat/support/process.ts';
import { freePort } from '../support/stratus-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { ChaosBroker } from './broker.ts';
import { ChaosMinio } from './minio.ts';
import type { MinioRestart } from './minio.ts';
import { checkCaughtUp, checkCommittedOffsets, checkTopicLog } from './checks.ts';
import type { CheckResult, ReadRecord } from './checks.ts';
import { EPISODE_KINDS, describeEpisode, planEpisodes } from './schedule.ts';
import type { Episode, EpisodeKind } from './schedule.ts';
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

/** Settings that make faults bite quickly: small budgets, short timeouts. */
function brokerEnv(proxyPort: number, minio: ChaosMinio): Record<string, string> {
  return {
    STRATUS_OBJECT_STORE_URL: `s3://chaos/stratus?endpoint=http://127.0.0.1:${proxyPort}&region=us-east-1`,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    STRATUS_OBJECT_STORE_REQUEST_TIMEOUT: '2s',
    STRATUS_OBJECT_STORE_MAX_ATTEMPTS: '3',
    STRATUS_STORAGE_PENDING_BYTES: String(2 * 1024 * 1024),
    STRATUS_STORAGE_APPEND_WAIT: '1s',
    STRATUS_STORAGE_TAIL_BYTES: String(1024 * 1024),
    STRATUS_STORAGE_SHUTDOWN_FLUSH_TIMEOUT: '4s',
    STRATUS_CACHE_MEMORY_BYTES: String(4 * 1024 * 1024),
    STRATUS_UPLOAD_MAX_BYTES: String(1024 * 1024),
    STRATUS_UPLOAD_MAX_DELAY: '200ms',
    STRATUS_WAL_SEGMENT_BYTES: String(4 * 1024 * 1024),
    STRATUS_FETCH_READ_TIMEOUT: '3s',
    STRATUS_KAFKA_SHUTDOWN_DRAIN: '2s',
    // Compaction and garbage collection on a scale of seconds, so they run under the faults
    // too (and the final read from objects alone checks what they did): 8 MiB objects (no
    // multipart), merges of extents 15 s old, replaced objects deleted a minute later, the
    // orphan sweep (uploads never committed, e.g. killed between PUT and commit) at 10 min.
    STRATUS_COMPACTION_TARGET_OBJECT_BYTES: String(8 * 1024 * 1024),
    STRATUS_COMPACTION_MAX_EXTENT_BYTES: String(2 * 1024 * 1024),
    STRATUS_COMPACTION_SMALL_EXTENT_BYTES: String(512 * 1024),
    STRATUS_COMPACTION_MAX_BYTES_PER_RUN: String(16 * 1024 * 1024),
    STRATUS_COMPACTION_BYTES_PER_SECOND: String(4 * 1024 * 1024),
    STRATUS_COMPACTION_MIN_AGE: '15s',
    STRATUS_COMPACTION_INTERVAL: '10s',
    STRATUS_COMPACTION_SET_ASIDE: '1m',
    STRATUS_RETENTION_CHECK_INTERVAL: '30s',
    STRATUS_RETENTION_DELETE_GRACE: '1m',
    STRATUS_RETENTION_ORPHAN_AGE: '10m',
  };
}

export interface CampaignOptions {
  readonly seed: number;
  /** Length of the fault window (fractions allowed); the final checks come after it. */
  readonly minutes: number;
  /** Progress lines (default: console.log). */
  readonly log?: (line: string) => void;
  /**
   * The Java producers' delivery.timeout.ms (default Kafka's, 120 s): how long a record may
   * take before the client gives it up. It bounds how long the end waits for them, so the
   * short run lowers it; it must stay well above the longest fault of the schedule.
   */
  readonly javaDeliveryTimeoutMs?: number;
}

export interface EpisodeRun {
  readonly episode: Episode;
  readonly description: string;
  /** Seconds since the campaign started. */
  readonly startedAtS: number;
  readonly tookS: number;
}

export interface CampaignReport {
  readonly seed: number;
  readonly minutes: number;
  readonly replay: string;
  readonly startedAt: string;
  readonly machine: string;
  readonly brokerSettings: Readonly<Record<string, string>>;
  readonly topics: readonly TopicSpec[];
  readonly episodes: readonly EpisodeRun[];
  readonly counts: {
    readonly episodesByKind: Readonly<Record<EpisodeKind, number>>;
    readonly sigkills: number;
    readonly sigterms: number;
    readonly outages: number;
    readonly outageSeconds: number;
    readonly slowPeriods: number;
    readonly slowSeconds: number;
    readonly brokerStarts: number;
    readonly maxStartMs: number;
    readonly sigtermExits: readonly { ms: number; code: number | null; storeDown: boolean }[];
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
    /** Seconds of the fault window by what /readyz said (sampled each second). */
    readonly readinessSeconds: Readonly<Record<string, number>>;
    /** Compaction and orphan-sweep counters summed over broker instances ("compaction.merges", ...), index extents at the end. */
    readonly maintenance: Readonly<Record<string, number>>;
    /** MinIO's peak resident memory, and once a minute [seconds, MiB]. */
    readonly minioRestarts: readonly MinioRestart[];
    readonly minioPeakRssMiB: number;
    readonly minioRssMiB: readonly (readonly [number, number])[];
    /** After each restart and each time the store came back: how long until /readyz was 200. */
    readonly recoveries: readonly Recovery[];
  };
  readonly checks: readonly CheckResult[];
  readonly problems: readonly string[];
  readonly ok: boolean;
  readonly durationS: number;
  /**
   * Where the broker output of every instance and the Java clients' logs are, and the data
   * directory: kept when the campaign failed (or STRATUS_CHAOS_KEEP is set), else removed.
   */
  readonly workDir: string | undefined;
}

/**
 * What compaction, the orphan sweep and the index did, from each instance's /metrics
 * (counted since that instance started): the last sample of every instance, summed.
 */
class MaintenanceTotals {
  private readonly perInstance = new Map<number, Record<string, number>>();
  private last: Record<string, number> = {};

  async sample(broker: ChaosBroker): Promise<void> {
    const text = await broker.metricsText();
    if (text === undefined) return;
    const values: Record<string, number> = {};
    for (const m of text.matchAll(/^stratus_(compaction|orphan_sweep|index_extents)\{what="(\w+)"\} (\S+)$/gm)) values[`${m[1]!}.${m[2]!}`] = Number(m[3]);
    this.perInstance.set(broker.instances, values);
    this.last = values;
  }

  /** Counters summed over instances; the index gauges as last seen. */
  totals(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const values of this.perInstance.values()) {
      for (const [k, v] of Object.entries(values)) if (!k.startsWith('index_extents.') && !k.endsWith('.set_aside')) out[k] = (out[k] ?? 0) + v;
    }
    for (const [k, v] of Object.entries(this.last)) if (k.startsWith('index_extents.')) out[k] = v;
    return out;
  }
}

/** Samples /readyz every second (how long the broker was ready, down, or unready and why), and maintenance every 5 s. */
class ReadinessSampler {
  readonly seconds: Record<string, number> = {};
  private running = true;

  constructor(broker: ChaosBroker, maintenance: MaintenanceTotals) {
    void (async () => {
      for (let i = 0; this.running; i++) {
        if (i % 5 === 0) await maintenance.sample(broker);
        const why = await broker.notReady();
        const state =
          why === undefined
            ? 'ready'
            : why === 'not running' || !why.startsWith('not ready')
              ? 'down (killed, stopped or starting)'
              : /object store/.test(why)
                ? 'not ready: appends wait for the object store'
                : /shutting down/.test(why)
                  ? 'not ready: shutting down'
                  : `not ready: ${why.slice(11, 60)}`;
        this.seconds[state] = (this.seconds[state] ?? 0) + 1;
        await sleep(1000);
      }
    })();
  }

  stop(): void {
    this.running = false;
  }
}

export interface Recovery {
  readonly what: string;
  readonly kind: 'restart' | 'store';
  /** Seconds since the campaign started. */
  readonly atS: number;
  /** ms until /readyz answered 200; undefined when the next fault came first. */
  readonly readyAfterMs: number | undefined;
}

/** After a fault ends, watches (in the background) how long until the broker is ready; over a minute is a problem. */
class RecoveryWatch {
  static readonly LIMIT_MS = 60_000;
  readonly results: Recovery[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly broker: () => ChaosBroker | undefined;
  private readonly problem: (p: string) => void;
  private readonly t0: number;
  private stopped = false;

  constructor(broker: () => ChaosBroker | undefined, problem: (p: string) => void, t0: number) {
    this.broker = broker;
    this.problem = problem;
    this.t0 = t0;
  }

  watch(what: string, kind: 'restart' | 'store'): void {
    const b = this.broker();
    if (b === undefined) return;
    const instance = b.instances;
    const start = Date.now();
    const p = (async () => {
      while (!this.stopped && b.instances === instance && b.running !== undefined) {
        if ((await b.notReady()) === undefined) {
          this.results.push({ what, kind, atS: Math.round((start - this.t0) / 1000), readyAfterMs: Date.now() - start });
          return;
        }
        if (Date.now() - start > RecoveryWatch.LIMIT_MS) {
          this.problem(`not ready ${RecoveryWatch.LIMIT_MS / 1000} s after the fault ended: ${what} (${String(await b.notReady())})`);
          this.results.push({ what, kind, atS: Math.round((start - this.t0) / 1000), readyAfterMs: undefined });
          return;
        }
        await sleep(250);
      }
      this.results.push({ what, kind, atS: Math.round((start - this.t0) / 1000), readyAfterMs: undefined });
    })();
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.pending);
  }
}

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

async function eventually(timeoutMs: number, f: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await f()) return true;
    await sleep(500);
  }
  return false;
}

export function replayCommand(seed: number, minutes: number): string {
  return `npm run chaos -- --seed ${seed} --minutes ${minutes}`;
}

export async function runCampaign(options: CampaignOptions): Promise<CampaignReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { seed, minutes } = options;
  const t0 = Date.now();
  const el = (): string => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  const say = (line: string): void => log(`[chaos ${el()}] ${line}`);
  const windowMs = Math.round(minutes * 60_000);
  const deliveryTimeoutMs = options.javaDeliveryTimeoutMs ?? 120_000;
  const plan = planEpisodes(seed, minutes);

  const workDir = mkdtempSync(join(tmpdir(), 'stratus-chaos-'));
  const dataDir = join(workDir, 'data');
  const logFile = join(workDir, 'stratus.log');
  writeFileSync(logFile, `chaos campaign seed ${seed}, ${minutes} min\n`);
  const problems: string[] = [];
  const episodes: EpisodeRun[] = [];
  const byKind = Object.fromEntries(EPISODE_KINDS.map((k) => [k, 0])) as Record<EpisodeKind, number>;
  let outageMs = 0;
  let slowMs = 0;

  let minio: ChaosMinio | undefined;
  let proxy: TcpProxy | undefined;
  let broker: ChaosBroker | undefined;
  const java: JavaProducer[] = [];
  const js: JsProducer[] = [];
  let consumers: GroupConsumers | undefined;
  let observer: OffsetObserver | undefined;
  let env: Record<string, string> = {};
  let sampler: ReadinessSampler | undefined;
  const maintenance = new MaintenanceTotals();
  const recovery = new RecoveryWatch(() => broker, (p) => problems.push(p), t0);
  const checks: CheckResult[] = [];
  const recordsRead: Record<string, number> = {};
  const javaEnds: string[] = [];

  try {
    const peers = await provisionedPeers();
    // Restarted (SIGKILL, same data and port) if it dies or runs away with memory: see minio.ts.
    minio = await ChaosMinio.start(t0);
    {
      const store = await openObjectStore(`s3://chaos/?endpoint=${minio.endpoint}&region=us-east-1`, {
        createBucket: true,
        s3: { credentials: { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey } },
      });
      await store.close();
    }
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(minio.endpoint).port));
    env = brokerEnv(proxy.port, minio);
    broker = await ChaosBroker.start({ dataDir, kafkaPort: await freePort(), env, logFile, t0 });
    say(`stratus dev on ${broker.bootstrap}, MinIO ${minio.endpoint} behind proxy :${proxy.port}; data ${dataDir}`);

    await withAdmin(broker.bootstrap, async (admin) => {
      await admin.createTopics({
        waitForLeaders: true,
        topics: TOPICS.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1, configEntries: [{ name: 'stratus.durability', value: t.durability }] })),
      });
    });
    const group = `chaos-group-${seed}`;
    const topicNames = TOPICS.map((t) => t.name);
    const seconds = Math.max(1, Math.round(windowMs / 1000));
    for (const t of TOPICS) java.push(JavaProducer.start({ repo: REPO, javaClasses: peers.javaClasses, bootstrap: broker.bootstrap, topic: t.name, count: JAVA_RATE * seconds, rate: JAVA_RATE, logFile: join(workDir, `java-${t.name}.log`), props: { 'delivery.timeout.ms': String(deliveryTimeoutMs) } }));
    for (const t of TOPICS) js.push(new JsProducer({ name: t.durability === 'local' ? 'l' : 'o', bootstrap: broker.bootstrap, topics: [t], seed, recordsPerSecond: JS_RATE[t.durability] }));
    consumers = await GroupConsumers.start({ bootstrap: broker.bootstrap, group, topics: topicNames, members: 2 });
    observer = await OffsetObserver.start({ bootstrap: broker.bootstrap, group, topics: topicNames });
    say(`workload: on each topic a Java StreamProducer (${JAVA_RATE} rec/s) and a kafkajs producer (${TOPICS.map((t) => `${t.name} ${JS_RATE[t.durability]} rec/s`).join(', ')}); 2 group members; offsets observed every second`);
    const windowStart = Date.now();
    sampler = new ReadinessSampler(broker, maintenance);

    // ---- the faults ---------------------------------------------------------------------
    const b = broker;
    const px = proxy;
    const signal = async (kind: 'kill' | 'term', storeDown: boolean): Promise<void> => {
      if (kind === 'kill') await b.kill();
      else await b.term(storeDown);
    };
    for (const e of plan) {
      if (Date.now() - windowStart + e.pauseMs >= windowMs) break;
      await sleep(e.pauseMs);
      await b.ensureRunning();
      const started = Date.now();
      say(`episode ${e.index}: ${describeEpisode(e)}`);
      byKind[e.kind]++;
      switch (e.kind) {
        case 'kill':
        case 'term':
          await signal(e.kind, false);
          await sleep(e.downMs);
          await b.launch();
          recovery.watch(`ready after a ${e.kind === 'kill' ? 'SIGKILL' : 'SIGTERM'} (episode ${e.index})`, 'restart');
          break;
        case 'outage':
          px.takeDown();
          await sleep(e.durationMs);
          px.bringUp();
          recovery.watch(`ready after a ${Math.round(e.durationMs / 1000)} s outage (episode ${e.index})`, 'store');
          outageMs += e.durationMs;
          break;
        case 'slow':
          px.latencyMs = e.latencyMs;
          await sleep(e.durationMs);
          px.latencyMs = 0;
          slowMs += e.durationMs;
          break;
        case 'kill-in-outage':
        case 'term-in-outage':
        case 'kill-while-slow': {
          const outage = e.kind !== 'kill-while-slow';
          if (outage) px.takeDown();
          else px.latencyMs = e.latencyMs;
          await sleep(e.faultAfterMs);
          await signal(e.kind === 'term-in-outage' ? 'term' : 'kill', outage);
          await sleep(e.downMs);
          await b.launch();
          const left = started + e.durationMs - Date.now();
          if (left > 0) await sleep(left);
          if (outage) px.bringUp();
          else px.latencyMs = 0;
          recovery.watch(`ready after ${e.kind} (episode ${e.index})`, 'store');
          if (outage) outageMs += Date.now() - started;
          else slowMs += Date.now() - started;
          break;
        }
      }
      episodes.push({ episode: e, description: describeEpisode(e), startedAtS: Math.round((started - t0) / 100) / 10, tookS: Math.round((Date.now() - started) / 100) / 10 });
    }
    const rest = windowMs - (Date.now() - windowStart);
    if (rest > 0) await sleep(rest);
    px.bringUp();
    px.latencyMs = 0;
    await b.ensureRunning();
    say(`faults over: ${episodes.length} episodes; letting the clients finish`);
    sampler.stop();

    // ---- the end: clients finish, the group catches up --------------------------------
    for (const p of java) {
      const how = await p.finish(deliveryTimeoutMs + 60_000);
      javaEnds.push(how === 'finished' ? `exit ${String(p.child.exitCode)}` : `killed after ${deliveryTimeoutMs / 1000 + 60} s`);
      if (how === 'killed') problems.push(`Java producer on ${p.topic} had not finished ${deliveryTimeoutMs / 1000 + 60} s after the faults stopped (acked ${p.acks.length} of ${p.count}); stderr ends:\n${p.stderr.slice(-2000)}`);
    }
    for (const p of js) await p.stop();
    say(`producers done: ${[...java.map((p) => `${p.topic} Java ${p.acks.length} acked/${p.failures.length} failed`), ...js.map((p) => `kafkajs ${p.name} ${p.acks.length} acked/${p.failedSends} sends failed`)].join(', ')}`);

    const ends = new Map<string, number>();
    await withAdmin(b.bootstrap, async (admin) => {
      for (const t of TOPICS) for (const o of await admin.fetchTopicOffsets(t.name)) ends.set(tp(t.name, o.partition), Number(o.high));
    });
    const obs = observer;
    const caughtUp = await eventually(120_000, async () => {
      await obs.observe();
      const latest = obs.latest();
      return [...ends].every(([k, end]) => latest?.get(k) === end);
    });
    say(caughtUp ? 'consumer group caught up' : 'consumer group did not catch up within 120 s');
    await consumers.stop();
    await observer.stop();
    await observer.observe().catch(() => undefined);
    checks.push(checkCaughtUp(observer.latest(), ends));

    // ---- a clean stop with everything uploaded, then a start without the WAL ----------
    await eventually(30_000, async () => (await b.metric('stratus_storage_pending_bytes')) === 0);
    await maintenance.sample(b);
    await b.term(false);
    const lastStop = b.stops.at(-1);
    if (lastStop?.code !== 0) problems.push(`the final SIGTERM (store up) exited with ${String(lastStop?.code)}`);
    renameSync(join(dataDir, 'wal'), join(dataDir, 'wal-before-final-start'));
    await b.launch();
    if (!(await eventually(30_000, async () => (await b.notReady()) === undefined))) problems.push(`the final start was not ready within 30 s: ${String(await b.notReady())}`);
    say('final start (without the WAL, so from the object store alone): reading every topic back');

    const acksByTopic = new Map<string, Ack[]>(TOPICS.map((t) => [t.name, []]));
    for (const a of [...java.flatMap((p) => p.acks), ...js.flatMap((p) => p.acks)]) acksByTopic.get(a.topic)!.push(a);
    const jsSent = new Map(js.flatMap((p) => [...p.sent]));
    const javaCount = new Map(java.map((p) => [p.topic, p.count]));
    for (const t of TOPICS) {
      const read = await readTopic(b.bootstrap, t.name);
      recordsRead[t.name] = read.length;
      const seenTopic = consumers;
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
          seen: (p) => seenTopic.seen.keys(tp(t.name, p)),
          sendOrder: (key) => {
            if (key.startsWith('k-')) return { producer: 'java', seq: Number(key.slice(2)) };
            const s = jsSent.get(key);
            const n = /^js([a-z]*)-(\d+)$/.exec(key);
            return s === undefined || n === null ? undefined : { producer: `kafkajs ${n[1]!} session ${s.session}`, seq: Number(n[2]) };
          },
        }),
      );
    }
    // One more observation on the final instance: nothing acknowledged may be missing there either.
    const finalObserver = await OffsetObserver.start({ bootstrap: b.bootstrap, group, topics: topicNames });
    await finalObserver.observe();
    await finalObserver.stop();
    checks.push(...checkCommittedOffsets([...observer.observations, ...finalObserver.observations], consumers.commits, t0));
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
      name: `producers: the Java producers had every record acknowledged (no fault lasts near delivery.timeout.ms, ${deliveryTimeoutMs / 1000} s)`,
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
    await b.term(false);
  } catch (e) {
    problems.push(`the campaign itself failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    sampler?.stop();
    await recovery.stop();
    for (const p of java) if (p.alive) p.child.kill('SIGKILL');
    for (const p of js) await p.stop().catch(() => undefined);
    await consumers?.stop().catch(() => undefined);
    await observer?.stop().catch(() => undefined);
    await broker?.kill().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await minio?.stop().catch(() => undefined);
  }

  for (const r of minio?.restarts ?? []) if (r.why.startsWith('restart failed')) problems.unshift(`MinIO, the object store under test, could not be restarted at ${r.atS} s (${r.why}): the test bed failed`);
  if (broker) problems.push(...broker.problems);
  const stops = broker?.stops ?? [];
  const badStops = stops.filter((s) => s.code !== 0 || s.ms > 20_000);
  checks.push({
    name: 'SIGTERM: exit code 0 within 20 s every time (store up or down)',
    ok: badStops.length === 0,
    detail: badStops.length === 0 ? `${stops.length} stops, slowest ${Math.max(0, ...stops.map((s) => s.ms))} ms` : badStops.map((s) => `exit ${String(s.code)} after ${s.ms} ms (store ${s.storeDown ? 'down' : 'up'})`).join('; '),
  });
  checks.push({
    name: 'broker: no crash, no failed start, nothing unexpected',
    ok: problems.length === 0,
    detail: problems.length === 0 ? `${broker?.instances ?? 0} starts` : problems.map((p) => p.split('\n')[0]).slice(0, 5).join('; '),
  });

  const keep = (process.env['STRATUS_CHAOS_KEEP'] ?? '') !== '';
  const ok = checks.every((c) => c.ok) && checks.length > 2;
  const acked: Record<string, number> = Object.fromEntries(TOPICS.map((t) => [t.name, 0]));
  for (const a of [...java.flatMap((p) => p.acks), ...js.flatMap((p) => p.acks)]) acked[a.topic] = (acked[a.topic] ?? 0) + 1;
  const kills = byKind.kill + byKind['kill-in-outage'] + byKind['kill-while-slow'];
  const report: CampaignReport = {
    seed,
    minutes,
    replay: replayCommand(seed, minutes),
    startedAt: new Date(t0).toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    brokerSettings: Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('STRATUS_'))),
    topics: TOPICS,
    episodes,
    counts: {
      episodesByKind: byKind,
      sigkills: kills,
      sigterms: byKind.term + byKind['term-in-outage'],
      outages: byKind.outage + byKind['kill-in-outage'] + byKind['term-in-outage'],
      outageSeconds: Math.round(outageMs / 1000),
      slowPeriods: byKind.slow + byKind['kill-while-slow'],
      slowSeconds: Math.round(slowMs / 1000),
      brokerStarts: broker?.instances ?? 0,
      maxStartMs: Math.max(0, ...(broker?.startMs ?? [])),
      sigtermExits: stops,
      recordsAcked: acked,
      recordsAckedTotal: Object.values(acked).reduce((x, y) => x + y, 0),
      recordsRead,
      javaFailedRecords: java.reduce((n, p) => n + p.failures.length, 0),
      javaProducers: java.map((p, i) => ({ topic: p.topic, count: p.count, acked: p.acks.length, failed: p.failures.length, ended: javaEnds[i] ?? 'unknown', errors: countErrors(p.failures.map((f) => f.error.replace(/\d+ ms has passed/, 'N ms has passed'))),
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
      readinessSeconds: sampler?.seconds ?? {},
      minioPeakRssMiB: Math.round((minio?.peakRssBytes ?? 0) / 1048576),
      minioRestarts: minio?.restarts ?? [],
      maintenance: maintenance.totals(),
      minioRssMiB: minio?.samples ?? [],
      recoveries: recovery.results,
    },
    checks,
    problems,
    ok,
    durationS: Math.round((Date.now() - t0) / 1000),
    workDir: ok && !keep ? undefined : workDir,
  };
  if (ok && !keep) rmSync(workDir, { recursive: true, force: true });
  return report;
}

function recoveryLine(all: readonly Recovery[], kind: 'restart' | 'store'): string {
  const done = all.filter((r) => r.kind === kind && r.readyAfterMs !== undefined).map((r) => r.readyAfterMs!);
  const cut = all.filter((r) => r.kind === kind && r.readyAfterMs === undefined).length;
  const what = kind === 'restart' ? 'ready after a restart' : 'ready after the store came back';
  if (done.length === 0) return `${what}: no sample${cut > 0 ? ` (${cut} cut short by the next fault)` : ''}`;
  done.sort((x, y) => x - y);
  return `${what} in ${done[Math.floor(done.length / 2)]} ms median, ${done.at(-1)} ms max (${done.length} times${cut > 0 ? `, ${cut} cut short by the next fault` : ''})`;
}

function countErrors(errors: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of errors) out[e] = (out[e] ?? 0) + 1;
  return out;
}

/** The summary printed at the end (and the failure's seed and replay command). */
export function summarize(r: CampaignReport): string {
  const c = r.counts;
  const m = (k: string): number => c.maintenance[k] ?? 0;
  const lines = [
    `chaos campaign: seed ${r.seed}, ${r.minutes} min of faults, ${r.durationS} s in all`,
    `  faults: ${c.sigkills} SIGKILL+restart (${r.counts.episodesByKind['kill-in-outage']} during an outage, ${r.counts.episodesByKind['kill-while-slow']} while slow), ` +
      `${c.sigterms} SIGTERM+restart (${r.counts.episodesByKind['term-in-outage']} during an outage), ` +
      `${c.outages} object-store outages (${c.outageSeconds} s), ${c.slowPeriods} slow periods (${c.slowSeconds} s); ${c.brokerStarts} broker starts, slowest ${c.maxStartMs} ms`,
    `  records acknowledged: ${c.recordsAckedTotal} (${Object.entries(c.recordsAcked).map(([t, n]) => `${t} ${n}`).join(', ')}); read back: ${Object.entries(c.recordsRead).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `  producers: Java ${c.javaProducers.map((p) => `${p.topic} ${p.acked}/${p.count} acked, ${p.failed} failed, ${p.ended}, ${p.outOfOrderResponses} OUT_OF_ORDER_SEQUENCE_NUMBER answers, ${p.epochBumps} epoch bumps`).join('; ')}; kafkajs ${c.kafkajsFailedSends} failed sends (${Object.entries(c.kafkajsErrors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}), ${c.kafkajsProducers} producer ids`,
    ...c.javaProducers.flatMap((p) => Object.entries(p.errors).map(([e, n]) => `    Java ${p.topic}: ${n} × ${e}`)),
    `  recovery: ${recoveryLine(c.recoveries, 'restart')}; ${recoveryLine(c.recoveries, 'store')}`,
    `  compaction: ${m('compaction.merges')} merges replacing ${m('compaction.extents_replaced')} extents, ${m('compaction.objects_written')} objects written (${m('compaction.failures')} failed, ${m('compaction.refused')} refused); orphan sweep: ${m('orphan_sweep.runs')} runs, ${m('orphan_sweep.deleted')} orphans deleted; index at the end: ${m('index_extents.total')} extents, at most ${m('index_extents.max_per_partition')} in a partition`,
    `  MinIO: peak RSS ${c.minioPeakRssMiB} MiB; ${c.minioRestarts.length === 0 ? 'never restarted' : `restarted by the test bed ${c.minioRestarts.length} times (${c.minioRestarts.map((x) => `${x.atS} s: ${x.why}`).join('; ')}) — see test/chaos/minio.ts`}`,
    `  /readyz during the faults (s): ${Object.entries(c.readinessSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  group: ${c.consumerRecords} records consumed, ${c.commitsAcked} commits acknowledged (${c.commitFailures} failed), ${c.groupJoins} joins, ${c.consumerCrashes} consumer crashes, ${c.offsetObservations} offset observations (${c.offsetObservationErrors} failed)`,
    '  checks:',
    ...r.checks.map((x) => `    ${x.ok ? 'ok  ' : 'FAIL'} ${x.name} — ${x.detail}`),
  ];
  if (r.problems.length > 0) lines.push('  problems:', ...r.problems.map((p) => `    ${p.split('\n').join('\n    ')}`));
  lines.push(
    r.ok
      ? `PASSED (seed ${r.seed}; replay: ${r.replay})`
      : `FAILED: seed ${r.seed}. Replay the same fault schedule with: ${r.replay}`,
    ...(r.workDir !== undefined ? [`  kept: ${r.workDir} (stratus.log: every broker instance's output; java-*.log: the Java producers' logs; data/)`] : []),
  );
  return lines.join('\n');
}
