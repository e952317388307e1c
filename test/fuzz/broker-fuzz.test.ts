// Seeded fuzzing of a real `stratus dev` process over the Kafka port: at least 100,000
// malformed, mutated or random-but-valid frames over many concurrent connections (see
// support/generator.ts for the categories), while a kafkajs producer and consumer keep
// working on a control topic. The broker must stay up, answer what it must answer (with
// the error code a batch case names for its partition), close what it must close (slow
// senders within its short, fuzz-only timeouts), keep its memory bounded, and not
// disturb the control client.
//
// Environment:
//   STRATUS_FUZZ_SEED         the seed (default: random; printed either way)
//   STRATUS_FUZZ_FRAMES       cases to write (default 100000)
//   STRATUS_FUZZ_CONNECTIONS  concurrent fuzz connections (default 24)
//   STRATUS_FUZZ_MAX_RSS_MB   bound on the broker's peak RSS (default 600)
//   STRATUS_FUZZ_BROKER_ENV   extra broker settings, "STRATUS_A=1,STRATUS_B=2"
//   STRATUS_FUZZ_VERBOSE      also print RSS samples and outcomes per case variant
// Replay one case: node test/fuzz/replay.ts <seed> <index> [host:port]; reproductions of
// what it found so far: node test/fuzz/findings.ts <name>.
//
// SASL is fuzzed by sasl-fuzz.test.ts, on its own broker with a SASL_PLAINTEXT and a
// SASL_SSL listener (handshakes, PLAIN and SCRAM messages, requests out of turn,
// re-authentication, TLS and plain text on the wrong port; sasl-replay.ts, sasl-findings.ts).

import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode, errorName } from '@stratus/protocol';
import { StratusProcess } from '../support/stratus-process.ts';
import { ControlClient } from './support/control.ts';
import type { ControlReport } from './support/control.ts';
import { CATEGORIES } from './support/generator.ts';
import { brokerContext, FUZZ_BROKER_ENV, fuzzLimits, MAX_REQUEST_BYTES } from './support/context.ts';
import { prepareBatchCases } from './support/batch-cases.ts';
import { decompressionBombs } from './support/record-batches.ts';
import { FuzzStats, OUTCOMES, runFuzz } from './support/runner.ts';
import { LivenessProbe, request } from './support/wire.ts';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const SEED = envInt('STRATUS_FUZZ_SEED', randomInt(0, 2 ** 32 - 1)) >>> 0;
const FRAMES = envInt('STRATUS_FUZZ_FRAMES', 100_000);
const CONNECTIONS = envInt('STRATUS_FUZZ_CONNECTIONS', 24);
const MAX_RSS_BYTES = envInt('STRATUS_FUZZ_MAX_RSS_MB', 600) * 1024 * 1024;
const STALL_TIMEOUT_MS = 3_000;
/** Longest the broker may take to answer a trivial request at any point of the run. */
const MAX_FREEZE_MS = 10_000;
/**
 * The fuzzing stops here whatever the count (and the frame assertion fails). A dedicated
 * 2-core machine needs 15-40 s for 100,000 frames; the slack is for a shared, busy one.
 */
const FUZZ_DEADLINE_MS = 150_000;

const CONTROL_TOPIC = `stratus-fuzz-control-${SEED}`;
const CONTROL_GROUP = `stratus-fuzz-control-group-${SEED}`;
/** Problems the dispatcher logs that are bugs rather than bad input. */
const BUG_LOG = /handler for API \d+ failed|encoding the API \d+ v\d+ response failed|decoder failure|dispatch failed|dispatch returned no DispatchResult/;

let broker: StratusProcess;

/** STRATUS_FUZZ_BROKER_ENV="STRATUS_X=1,STRATUS_Y=2": more settings for the broker under test. */
function extraBrokerEnv(): Record<string, string> {
  const raw = process.env['STRATUS_FUZZ_BROKER_ENV'] ?? '';
  return Object.fromEntries(
    raw
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
}

/** Memory figures from the broker's /metrics (prom-client defaults and storage gauges). */
async function brokerMemory(p: StratusProcess): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return [
      `heap used ${mb(value('nodejs_heap_size_used_bytes'))} of ${mb(value('nodejs_heap_size_total_bytes'))}`,
      `external ${mb(value('nodejs_external_memory_bytes'))}`,
      `storage pending ${mb(value('stratus_storage_pending_bytes'))}`,
      `open connections ${value('stratus_kafka_connections')}`,
    ].join(', ');
  } catch (e) {
    return `metrics unavailable: ${(e as Error).message}`;
  }
}

const BROKER_ENV = { ...FUZZ_BROKER_ENV, ...extraBrokerEnv() };

beforeAll(async () => {
  broker = await StratusProcess.start({ env: BROKER_ENV });
});

afterAll(async () => {
  if (broker === undefined) return;
  await broker.stop();
  broker.removeData();
});

interface RssSampler {
  readonly samples: number[];
  stop(): void;
}

function sampleRss(p: StratusProcess): RssSampler {
  const samples: number[] = [];
  const take = (): void => {
    if (p.alive) void p.rssBytes().then((b) => samples.push(b), () => undefined);
  };
  take();
  const timer = setInterval(take, 1_000);
  return { samples, stop: () => clearInterval(timer) };
}

/** CPU seconds (user + system) the process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

function report(stats: FuzzStats, control: ControlReport, rss: readonly number[], seconds: number, bugLines: readonly string[]): string {
  const lines: string[] = [];
  lines.push(`broker fuzz: seed ${SEED} (STRATUS_FUZZ_SEED=${SEED}), ${stats.framesWritten} frames (${mb(stats.bytesWritten)}) in ${seconds.toFixed(1)} s over ${CONNECTIONS} connections`);
  lines.push(`  connections opened ${stats.connectionsOpened}, connect failures ${stats.connectFailures}, write failures ${stats.writeFailures}`);
  const width = Math.max(...CATEGORIES.map((c) => c.length));
  lines.push(`  ${'category'.padEnd(width)} ${'written'.padStart(8)} ${OUTCOMES.map((o) => o.padStart(15)).join('')}`);
  for (const c of CATEGORIES) {
    const o = stats.byCategory.get(c)!;
    lines.push(`  ${c.padEnd(width)} ${String(stats.written.get(c)).padStart(8)} ${OUTCOMES.map((k) => String(o[k]).padStart(15)).join('')}`);
  }
  const codes = [...stats.errorCodes.entries()].sort((a, b) => b[1] - a[1]);
  lines.push(`  error codes in answers: ${codes.map(([n, k]) => `${n} ${k}`).join(', ')}`);
  const peak = Math.max(0, ...rss);
  lines.push(`  broker RSS: first ${mb(rss[0] ?? 0)}, peak ${mb(peak)}, last ${mb(rss[rss.length - 1] ?? 0)} (${rss.length} samples, bound ${mb(MAX_RSS_BYTES)})`);
  lines.push(
    `  control: ${control.produced} records produced, ${control.consumed} consumed (${control.redelivered} redelivered), ${control.groupJoins} group joins, send latency avg ${control.sendLatencyMsAvg} ms / max ${control.sendLatencyMsMax} ms, kafkajs warnings ${control.logged.length}`,
  );
  for (const l of control.logged.slice(0, 5)) lines.push(`    kafkajs: ${l}`);
  const closes = [...stats.closeLatenciesMs.entries()].sort();
  lines.push(
    `  slow senders closed (ms after their timeout began): ${closes.map(([v, ms]) => `${v} ${ms.length}x, ${Math.min(...ms)}..${Math.max(...ms)}`).join('; ') || 'none'}; not started (busy or run ending) ${stats.slowSkipped}; waited ${stats.slowTailMs} ms for the last`,
  );
  lines.push(`  anomalies: ${stats.anomalies.length}; bug-like broker log lines: ${bugLines.length}`);
  // One example per distinct problem.
  const problems = new Map<string, { count: number; example: (typeof stats.anomalies)[number] }>();
  for (const a of stats.anomalies) {
    const key = `${a.category}/${a.variant}: ${a.problem}`;
    const seen = problems.get(key);
    if (seen === undefined) problems.set(key, { count: 1, example: a });
    else seen.count++;
  }
  for (const [key, { count, example }] of problems) lines.push(`    ${count}x ${key}\n      e.g. case #${example.index}, ${example.length} bytes: ${example.hex.slice(0, 600)}`);
  const messages = new Map<string, number>();
  for (const l of bugLines) {
    const m = /"msg":"([^"]*)"/.exec(l)?.[1] ?? l.slice(0, 200);
    const err = /"message":"([^"]*)"/.exec(l)?.[1] ?? '';
    const key = `${m}${err ? ` — ${err}` : ''}`;
    messages.set(key, (messages.get(key) ?? 0) + 1);
  }
  for (const [m, n] of messages) lines.push(`    ${n}x log: ${m}`);
  if (process.env['STRATUS_FUZZ_VERBOSE'] !== undefined) {
    lines.push(`  RSS samples (MB): ${rss.map((b) => Math.round(b / 1024 / 1024)).join(' ')}`);
    for (const [v, o] of [...stats.variants.entries()].sort()) {
      const codes = stats.partitionCodes.get(v);
      const partition = codes === undefined ? '' : `; partition ${[...codes.entries()].map(([n, k]) => `${n} ${k}`).join(', ')}`;
      lines.push(`    ${v}: ${OUTCOMES.filter((k) => o[k] > 0).map((k) => `${k} ${o[k]}`).join(', ')}${partition}`);
    }
  }
  return lines.join('\n');
}

describe('stratus dev under fuzzed Kafka frames', () => {
  it(`survives ${FRAMES} malformed and mutated frames while a real client keeps working`, { timeout: 240_000 }, async () => {
    console.log(`broker fuzz: seed ${SEED} (set STRATUS_FUZZ_SEED=${SEED} to repeat), ${FRAMES} frames, ${CONNECTIONS} connections`);
    const host = '127.0.0.1';
    const port = broker.kafkaPort;
    const ctx = await brokerContext(host, port, MAX_REQUEST_BYTES, fuzzLimits(BROKER_ENV));
    // Built once, before the clock starts.
    decompressionBombs();
    prepareBatchCases(ctx.limits);
    const rss = sampleRss(broker);
    const control = await ControlClient.start(broker.bootstrap, CONTROL_TOPIC, CONTROL_GROUP);

    const probe = new LivenessProbe(host, port, 100);
    const stats = new FuzzStats();
    const brokerCpuBefore = await cpuSeconds(broker.child.pid!);
    const ownCpuBefore = process.cpuUsage();
    const started = performance.now();
    await runFuzz(
      { seed: SEED, host, port, context: ctx, frames: FRAMES, connections: CONNECTIONS, stallTimeoutMs: STALL_TIMEOUT_MS, deadlineMs: FUZZ_DEADLINE_MS, abort: () => !broker.alive },
      stats,
    );
    const seconds = (performance.now() - started) / 1000;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const cpuLine = `CPU during the fuzzing: broker ${((await cpuSeconds(broker.child.pid!)) - brokerCpuBefore).toFixed(1)} s, test process ${((ownCpu.user + ownCpu.system) / 1e6).toFixed(1)} s, wall ${seconds.toFixed(1)} s`;
    await probe.stop();

    const controlReport = await control.stop(20_000);
    expect(broker.alive, `the broker died:\n${broker.output.slice(-4000)}`).toBe(true);

    // Still answering on fresh connections.
    const versions = await request(host, port, ApiKey.ApiVersions, 3, { clientSoftwareName: 'stratus-fuzz', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    const md = await request(host, port, ApiKey.Metadata, 12, { topics: [{ name: CONTROL_TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.topics.map((t) => [t.name, errorName(t.errorCode), t.partitions.length])).toEqual([[CONTROL_TOPIC, 'NONE', 1]]);
    expect(md.brokers.length).toBe(1);
    rss.stop();
    rss.samples.push(await broker.rssBytes());

    const memory = await brokerMemory(broker);
    const bugLines = broker.output.split('\n').filter((l) => BUG_LOG.test(l) || l.includes('"level":50') || l.includes('"level":60'));
    const trips = [...probe.roundTripsMs].sort((a, b) => a - b);
    const probeMaxMs = Math.round(trips[trips.length - 1] ?? 0);
    const probeLine = `liveness probe (ApiVersions every 100 ms): ${trips.length} round trips, p50 ${Math.round(trips[Math.floor(trips.length / 2)] ?? 0)} ms, p99 ${Math.round(trips[Math.floor(trips.length * 0.99)] ?? 0)} ms, max ${probeMaxMs} ms, failures ${probe.failures}`;
    console.log(`${report(stats, controlReport, rss.samples, seconds, bugLines)}\n  ${probeLine}\n  ${cpuLine}\n  broker memory at the end: ${memory}`);

    // Not vacuous: every frame counted was handed to the kernel, every category ran.
    expect(stats.framesWritten).toBeGreaterThanOrEqual(FRAMES);
    for (const c of CATEGORIES) expect(stats.written.get(c), `category ${c} never ran`).toBeGreaterThan(0);
    const total = (k: (typeof OUTCOMES)[number]): number => CATEGORIES.reduce((n, c) => n + stats.byCategory.get(c)![k], 0);
    expect(total('answered-ok'), 'no case was answered normally').toBeGreaterThan(0);
    expect(total('answered-error'), 'no case was answered with an error code').toBeGreaterThan(0);
    expect(total('closed'), 'no case closed a connection').toBeGreaterThan(0);
    expect(stats.byCategory.get('size-prefix')!.closed).toBe(stats.written.get('size-prefix'));
    expect(stats.byCategory.get('slow-sender')!.closed, 'no slow sender was closed').toBeGreaterThan(0);

    // The broker did nothing it must not do.
    expect(stats.anomalies.map((a) => `#${a.index} ${a.category}/${a.variant}: ${a.problem}`)).toEqual([]);
    expect(bugLines).toEqual([]);
    expect(total('stalled'), 'too many cases went unanswered').toBeLessThan(stats.framesWritten / 200);

    // The well-behaved client never noticed.
    expect(controlReport.errors).toEqual([]);
    expect(controlReport.ackProblems).toEqual([]);
    expect(controlReport.orderProblems).toEqual([]);
    expect(controlReport.produced).toBeGreaterThan(100);
    if (controlReport.groupJoins <= 1) expect(controlReport.redelivered).toBe(0);

    // The broker never stopped answering for long.
    expect(probe.failures, probeLine).toBe(0);
    expect(probeMaxMs, probeLine).toBeLessThan(MAX_FREEZE_MS);

    // Memory stayed bounded.
    expect(Math.max(...rss.samples)).toBeLessThan(MAX_RSS_BYTES);
  });
});
