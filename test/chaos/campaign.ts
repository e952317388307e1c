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

import { mkdtempSync, rmSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openObjectStore } from '@stratus/objectstore';
import { provisionedPeers } from '../compat/support/peers.ts';
import { freePort } from '../support/stratus-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { ChaosBroker } from './broker.ts';
import { ChaosMinio } from './minio.ts';
import type { MinioRestart } from './minio.ts';
import { CampaignClients, TOPICS, clientSummaryLines, eventually, groupSummaryLine } from './clients.ts';
import type { ClientCounts } from './clients.ts';
import type { CheckResult } from './checks.ts';
import { EPISODE_KINDS, describeEpisode, planEpisodes } from './schedule.ts';
import type { Episode, EpisodeKind } from './schedule.ts';
import type { TopicSpec } from './workload.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function brokerEnv(proxyPort: number, minio: ChaosMinio): Record<string, string> {
  return {
    STRATUS_OBJECT_STORE_URL: `s3://chaos/stratus?endpoint=http://127.0.0.1:${proxyPort}&region=us-east-1`,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    ...FAULT_SETTINGS,
  };
}

/**
 * Settings that make faults bite quickly: small budgets, short timeouts (also the cluster
 * campaign's, for brokers and controllers alike: each takes the keys its schema has).
 */
export const FAULT_SETTINGS: Readonly<Record<string, string>> = {
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
  readonly counts: ClientCounts & {
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
  let clients: CampaignClients | undefined;
  let env: Record<string, string> = {};
  let sampler: ReadinessSampler | undefined;
  const maintenance = new MaintenanceTotals();
  const recovery = new RecoveryWatch(() => broker, (p) => problems.push(p), t0);
  const checks: CheckResult[] = [];

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

    await CampaignClients.createTopics(broker.bootstrap);
    clients = await CampaignClients.start({ bootstrap: broker.bootstrap, seed, windowMs, workDir, javaClasses: peers.javaClasses, deliveryTimeoutMs, t0 });
    say(`workload: ${CampaignClients.describe()}`);
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
    const c = clients;
    checks.push(await c.finish({ bootstrap: b.bootstrap, say, problems }));

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

    checks.push(...(await c.verify(b.bootstrap)));
    await b.term(false);
  } catch (e) {
    problems.push(`the campaign itself failed: ${(e as Error).stack ?? String(e)}`);
  } finally {
    sampler?.stop();
    await recovery.stop();
    await clients?.abort();
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
      ...CampaignClients.counts(clients),
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

/** The summary printed at the end (and the failure's seed and replay command). */
export function summarize(r: CampaignReport): string {
  const c = r.counts;
  const m = (k: string): number => c.maintenance[k] ?? 0;
  const lines = [
    `chaos campaign: seed ${r.seed}, ${r.minutes} min of faults, ${r.durationS} s in all`,
    `  faults: ${c.sigkills} SIGKILL+restart (${r.counts.episodesByKind['kill-in-outage']} during an outage, ${r.counts.episodesByKind['kill-while-slow']} while slow), ` +
      `${c.sigterms} SIGTERM+restart (${r.counts.episodesByKind['term-in-outage']} during an outage), ` +
      `${c.outages} object-store outages (${c.outageSeconds} s), ${c.slowPeriods} slow periods (${c.slowSeconds} s); ${c.brokerStarts} broker starts, slowest ${c.maxStartMs} ms`,
    ...clientSummaryLines(c),
    `  recovery: ${recoveryLine(c.recoveries, 'restart')}; ${recoveryLine(c.recoveries, 'store')}`,
    `  compaction: ${m('compaction.merges')} merges replacing ${m('compaction.extents_replaced')} extents, ${m('compaction.objects_written')} objects written (${m('compaction.failures')} failed, ${m('compaction.refused')} refused); orphan sweep: ${m('orphan_sweep.runs')} runs, ${m('orphan_sweep.deleted')} orphans deleted; index at the end: ${m('index_extents.total')} extents, at most ${m('index_extents.max_per_partition')} in a partition`,
    `  MinIO: peak RSS ${c.minioPeakRssMiB} MiB; ${c.minioRestarts.length === 0 ? 'never restarted' : `restarted by the test bed ${c.minioRestarts.length} times (${c.minioRestarts.map((x) => `${x.atS} s: ${x.why}`).join('; ')}) — see test/chaos/minio.ts`}`,
    `  /readyz during the faults (s): ${Object.entries(c.readinessSeconds).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    groupSummaryLine(c),
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
