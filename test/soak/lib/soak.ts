// One soak run: starts a real `stratus dev` (settings.ts), samples it once before any
// client connects (the baseline), runs the workload (workload.ts) for the given time while
// sampling every few seconds, stops the clients, waits until uploads have caught up and
// every connection is gone (quiesced), samples once more, stops the process and judges
// the samples (judge.ts). Both `npm run soak` (run.ts) and the minute inside `npm test`
// (soak.test.ts) call runSoak.

import { mkdirSync, readdirSync } from 'node:fs';
import { StratusProcess } from '../../support/stratus-process.ts';
import { judge } from './judge.ts';
import type { Judgement, Sample } from './judge.ts';
import { Rng } from './rng.ts';
import { Sampler } from './sampler.ts';
import { soakSeries } from './series.ts';
import { SNAPSHOT_JOURNAL_BYTES, SOAK_ENV, SOAK_WAL_SEGMENT_BYTES, STEADY_TOPIC_CONFIGS } from './settings.ts';
import type { SoakProfile } from './settings.ts';
import { Workload } from './workload.ts';
import type { WorkloadCounters } from './workload.ts';

export interface SoakOptions {
  readonly durationMs: number;
  readonly seed: number;
  readonly profile: SoakProfile;
  readonly log: (line: string) => void;
  /** Leave the data directory in place (its path is in the result). */
  readonly keepData?: boolean;
  /** Write V8 heap snapshots of the process into this directory at a third and two thirds of the run, and at its end. */
  readonly heapSnapshotDir?: string;
}

export interface QuiesceCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SoakResult {
  readonly startedAt: string;
  readonly seed: number;
  readonly durationSeconds: number;
  readonly profile: SoakProfile;
  readonly env: Readonly<Record<string, string>>;
  readonly topicConfigs: Readonly<Record<string, string>>;
  readonly dataDir: string;
  /** Before any client connected. */
  readonly baseline: Record<string, number>;
  readonly samples: Sample[];
  /** After the clients stopped and uploads caught up. */
  readonly quiesced: Record<string, number> | undefined;
  readonly quiesceSeconds: number;
  readonly checks: QuiesceCheck[];
  readonly judgement: Judgement;
  readonly counters: WorkloadCounters;
  /** Warnings and errors the process logged, by message. */
  readonly processLog: { level: string; msg: string; count: number }[];
  readonly stopExitCode: number | null;
  readonly heapSnapshots: string[];
  /** Set when the run could not finish (the process died, sampling failed for good). */
  readonly aborted?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const startedAt = new Date().toISOString();
  const env: Record<string, string> = { ...SOAK_ENV };
  if (o.heapSnapshotDir !== undefined) {
    mkdirSync(o.heapSnapshotDir, { recursive: true });
    env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${o.heapSnapshotDir}`.trim();
  }
  const stratus = await StratusProcess.start({ env });
  o.log(`stratus dev pid ${stratus.child.pid} on ${stratus.bootstrap}, data in ${stratus.dataDir}`);
  const sampler = new Sampler(stratus.httpPort, stratus.dataDir);
  const heapSnapshots: string[] = [];
  const workload = new Workload({
    bootstrap: stratus.bootstrap,
    rng: new Rng(o.seed),
    ...o.profile,
    topicConfigs: STEADY_TOPIC_CONFIGS,
    log: o.log,
  });
  const samples: Sample[] = [];
  let baseline: Record<string, number> = {};
  let quiesced: Record<string, number> | undefined;
  let quiesceSeconds = 0;
  let aborted: string | undefined;
  let runStart = performance.now();
  try {
    baseline = await sampler.sample(workload.counters);
    await workload.start();
    runStart = performance.now();
    o.log(`workload started: ${workload.steadyTopics.length} steady topics × ${o.profile.partitions} partitions; sampling every ${o.profile.sampleEveryMs / 1000} s for ${(o.durationMs / 60_000).toFixed(1)} min`);
    const snapshotsAt = o.heapSnapshotDir === undefined ? [] : [1 / 3, 2 / 3].map((f) => f * o.durationMs);
    let nextLog = 0;
    for (let next = 0; ; next += o.profile.sampleEveryMs) {
      const wait = next - (performance.now() - runStart);
      if (wait > 0) await sleep(wait);
      // Stalled (the machine was busy, a sample took long): skip the slots missed rather than sampling them all at once.
      else next = Math.floor((performance.now() - runStart) / o.profile.sampleEveryMs) * o.profile.sampleEveryMs;
      if (!stratus.alive) {
        aborted = `stratus dev exited (code ${stratus.child.exitCode}, signal ${stratus.child.signalCode})`;
        break;
      }
      const t = (performance.now() - runStart) / 1000;
      try {
        samples.push({ t, values: await sampler.sample(workload.counters) });
      } catch (e) {
        o.log(`  sample at ${t.toFixed(0)} s failed: ${String(e)}`);
      }
      if (t * 1000 >= nextLog) {
        nextLog += 60_000;
        o.log(progressLine(t, samples[samples.length - 1]?.values, workload.counters));
      }
      if (snapshotsAt.length > 0 && t * 1000 >= snapshotsAt[0]!) {
        snapshotsAt.shift();
        heapSnapshots.push(await heapSnapshot(stratus, o.heapSnapshotDir!, `at ${(t / 60).toFixed(1)} min`, o.log));
      }
      if (t * 1000 >= o.durationMs) break;
    }
    if (o.heapSnapshotDir !== undefined && aborted === undefined) heapSnapshots.push(await heapSnapshot(stratus, o.heapSnapshotDir, 'at the end', o.log));
  } finally {
    o.log('stopping the clients');
    await workload.stop().catch((e: unknown) => o.log(`  stopping the workload failed: ${String(e)}`));
  }
  if (aborted === undefined && stratus.alive) {
    const q0 = performance.now();
    quiesced = await quiesce(sampler, workload.counters);
    quiesceSeconds = (performance.now() - q0) / 1000;
  }
  const stopExitCode = await stratus.stop();
  const processLog = summarizeLog(stratus.output);
  if (!o.keepData) stratus.removeData();
  const expectedPartitions = o.profile.steadyTopics * o.profile.partitions;
  return {
    startedAt,
    seed: o.seed,
    durationSeconds: (performance.now() - runStart) / 1000,
    profile: o.profile,
    env: SOAK_ENV,
    topicConfigs: STEADY_TOPIC_CONFIGS,
    dataDir: stratus.dataDir,
    baseline,
    samples,
    quiesced,
    quiesceSeconds,
    checks: quiesced === undefined ? [] : quiesceChecks(baseline, quiesced, { topics: o.profile.steadyTopics, partitions: expectedPartitions }),
    judgement: judge(samples, soakSeries({ walSegmentBytes: SOAK_WAL_SEGMENT_BYTES, snapshotJournalBytes: SNAPSHOT_JOURNAL_BYTES })),
    counters: workload.counters,
    processLog,
    stopExitCode,
    heapSnapshots,
    ...(aborted === undefined ? {} : { aborted }),
  };
}

/** Waits (up to 60 s) until no connection is open and nothing waits for upload, then 2 s more for the WAL trim; returns that sample. */
async function quiesce(sampler: Sampler, counters: WorkloadCounters): Promise<Record<string, number>> {
  const deadline = performance.now() + 60_000;
  let s = await sampler.sample(counters);
  while (performance.now() < deadline && (s['connections'] !== 0 || s['pendingBytes'] !== 0)) {
    await sleep(500);
    s = await sampler.sample(counters);
  }
  await sleep(2000);
  return sampler.sample(counters);
}

/** What a quiesced process must show, whatever the run's length. */
export function quiesceChecks(baseline: Record<string, number>, q: Record<string, number>, expected: { topics: number; partitions: number }): QuiesceCheck[] {
  const check = (name: string, ok: boolean, detail: string): QuiesceCheck => ({ name, ok, detail });
  const b = (k: string): number => baseline[k] ?? Number.NaN;
  const v = (k: string): number => q[k] ?? Number.NaN;
  return [
    check('no connection left open', v('connections') === 0, `${v('connections')} open`),
    // The WAL, the journal and the listening sockets are open before and after; a client's
    // socket or a partition's file left open would show here.
    check('file descriptors back to the baseline (±3)', v('openFds') <= b('openFds') + 3, `${v('openFds')} open, ${b('openFds')} before the clients`),
    check('nothing waits for upload', v('pendingBytes') === 0, `${v('pendingBytes')} bytes`),
    check(
      'WAL trimmed to its active segment',
      v('walBytes') <= SOAK_WAL_SEGMENT_BYTES && v('walSegments') <= 2,
      `${v('walBytes')} bytes in ${v('walSegments')} segment(s) (segments are ${SOAK_WAL_SEGMENT_BYTES} bytes)`,
    ),
    check('deleted topics left no topic or partition in the index', v('topics') === expected.topics && v('partitions') === expected.partitions, `${v('topics')} topics, ${v('partitions')} partitions; ${expected.topics} and ${expected.partitions} expected`),
    check(
      'deleted topics left no partition open in the broker or the storage engine',
      v('openPartitions') <= expected.partitions && v('storageLogs') <= expected.partitions,
      `${v('openPartitions')} open in the broker, ${v('storageLogs')} logs in the storage engine; at most ${expected.partitions}`,
    ),
  ];
}

async function heapSnapshot(stratus: StratusProcess, dir: string, when: string, log: (line: string) => void): Promise<string> {
  const before = new Set(readdirSync(dir));
  stratus.child.kill('SIGUSR2');
  // Writing a snapshot stops the process for a while; wait for the file to appear and settle.
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    await sleep(1000);
    const fresh = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (fresh.length > 0) {
      try {
        await fetch(`http://127.0.0.1:${stratus.httpPort}/livez`, { signal: AbortSignal.timeout(60_000) }); // answers once the write is done
      } catch {
        // it will show in the next sample
      }
      log(`  heap snapshot ${when}: ${dir}/${fresh[0]}`);
      return `${dir}/${fresh[0]}`;
    }
  }
  log(`  heap snapshot ${when}: none appeared in ${dir}`);
  return '';
}

const MiB = 1024 * 1024;

function progressLine(t: number, v: Record<string, number> | undefined, c: WorkloadCounters): string {
  if (v === undefined) return `  ${(t / 60).toFixed(1)} min: no sample`;
  const errors = Object.values(c.errors).reduce((n, e) => n + e.count, 0);
  return (
    `  ${(t / 60).toFixed(1)} min: rss ${(v['rss']! / MiB).toFixed(0)} MiB, heap ${(v['heapUsed']! / MiB).toFixed(0)} MiB, fds ${v['openFds']}, ` +
    `conns ${v['connections']}, wal ${(v['walBytes']! / MiB).toFixed(1)} MiB, extents ${v['extents']}, objects ${v['objectsLive']}+${v['objectsUnreferenced']} (store ${v['storeObjects']}), ` +
    `offsets ${v['committedOffsets']}, groups ${v['controllerGroups']}/${v['coordinatorGroups']}; ` +
    `produced ${c.produced}, consumed ${c.consumed}, cycles ${c.cycles}, churns ${c.memberChurns}, errors ${errors}`
  );
}

const LEVELS: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** The process's warn-and-above log lines (pino JSON), counted by message. */
export function summarizeLog(output: string): { level: string; msg: string; count: number }[] {
  const counts = new Map<string, { level: string; msg: string; count: number }>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: number; msg?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue;
    }
    const level = LEVELS[entry.level ?? 0];
    if (level === undefined) continue;
    // Keys, ids and numbers differ from line to line; what happened does not.
    const cause = entry.err?.message === undefined ? '' : `: ${entry.err.message.replace(/[0-9a-f]{4}\/\S+\.sso/g, '<object>').replace(/\d+/g, 'N')}`;
    const msg = `${entry.msg ?? ''}${cause}`.slice(0, 240);
    const key = `${level} ${msg}`;
    const c = counts.get(key) ?? { level, msg, count: 0 };
    c.count++;
    counts.set(key, c);
  }
  return [...counts.values()].sort((a, b) => b.count - a.count);
}
