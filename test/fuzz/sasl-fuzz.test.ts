// Seeded fuzzing of SASL on a real `stratus dev` (support/sasl-broker.ts: a SASL_PLAINTEXT
// and a SASL_SSL listener, PLAIN and SCRAM-SHA-256/512, KIP-368 sessions): tens of
// thousands of short scripts (support/sasl-cases.ts for the families) on fresh connections
// from 128 loopback addresses — handshakes with any mechanism and version, PLAIN and SCRAM
// messages honest, wrong, malformed, replayed and pipelined, every API out of turn,
// re-authentication at odd moments, TLS on the plaintext port and plain text on the TLS
// port, frames over Kafka's pre-authentication size limit. Meanwhile a kafkajs client
// authenticated with SCRAM-SHA-512 keeps producing and consuming, a probe times ApiVersions,
// and one address is locked out by the failure limiter and let in again after its window.
//
// Every case must get the answer Apache Kafka gives (its error code and message) or the
// close Kafka does; the broker must stay up and answer promptly, log no bug, keep its
// memory bounded, hold on to nothing a client sent before authenticating (a heap snapshot
// at the end), and never put a password in its log or in any answer.
//
// Environment:
//   STRATUS_SASL_FUZZ_SEED         the seed (default: random; printed either way)
//   STRATUS_SASL_FUZZ_CASES        cases to run (default 20000, about 40 CPU seconds; a campaign: 500000)
//   STRATUS_SASL_FUZZ_CONNECTIONS  concurrent cases (default 32)
//   STRATUS_SASL_FUZZ_MAX_RSS_MB   bound on the broker's peak RSS (default 600, as broker-fuzz.test.ts)
// Replay one case: node test/fuzz/sasl-replay.ts <seed> <index>; reproductions of what it
// found: node test/fuzz/sasl-findings.ts <name>.

import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ControlClient } from './support/control.ts';
import { captureClientHello, SASL_FUZZ_SETTINGS, SaslFuzzBroker } from './support/sasl-broker.ts';
import { SASL_FAMILIES, UNAUTHENTICATED_MARKER } from './support/sasl-cases.ts';
import { TOO_MANY_FAILURES, watchLimiter } from './support/sasl-limiter.ts';
import type { LimiterReport } from './support/sasl-limiter.ts';
import { runSaslFuzz, SaslFuzzStats } from './support/sasl-runner.ts';
import { LivenessProbe } from './support/wire.ts';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

const SEED = envInt('STRATUS_SASL_FUZZ_SEED', randomInt(0, 2 ** 32 - 1)) >>> 0;
const CASES = envInt('STRATUS_SASL_FUZZ_CASES', 20_000);
const CONNECTIONS = envInt('STRATUS_SASL_FUZZ_CONNECTIONS', 32);
const MAX_RSS_BYTES = envInt('STRATUS_SASL_FUZZ_MAX_RSS_MB', 600) * 1024 * 1024;
/** One answer or close; the failure delay is 20 ms, PLAIN's PBKDF2 a few more under load. */
const STEP_TIMEOUT_MS = 5_000;
/** Longest the broker may take to answer the probe at any point. */
const MAX_FREEZE_MS = 5_000;
/** The default run needs about 40 CPU seconds (broker and test together); the deadline only ends a broken one. */
const DEADLINE_MS = Math.max(150_000, CASES * 6);

const CONTROL_TOPIC = `stratus-sasl-fuzz-control-${SEED}`;
const CONTROL_GROUP = `stratus-sasl-fuzz-group-${SEED}`;
/** Problems the dispatcher logs that are bugs rather than bad input (as broker-fuzz.test.ts). */
const BUG_LOG = /handler for API \d+ failed|encoding the API \d+ v\d+ response failed|decoder failure|dispatch failed|dispatch returned no DispatchResult/;

let broker: SaslFuzzBroker;
let clientHello: Buffer;

beforeAll(async () => {
  broker = await SaslFuzzBroker.start();
  clientHello = await captureClientHello();
}, 60_000);

afterAll(async () => {
  await broker?.stop();
}, 30_000);

function sampleRss(b: SaslFuzzBroker): { samples: number[]; stop(): void } {
  const samples: number[] = [];
  const take = (): void => {
    if (b.alive) void b.rssBytes().then((v) => samples.push(v), () => undefined);
  };
  take();
  const timer = setInterval(take, 1_000);
  return { samples, stop: () => clearInterval(timer) };
}

/** CPU seconds (user + system) the process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Heap, external memory and open connections from the broker's /metrics. */
async function brokerMemory(b: SaslFuzzBroker): Promise<string> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text();
    const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    return `heap used ${mb(value('nodejs_heap_size_used_bytes'))} of ${mb(value('nodejs_heap_size_total_bytes'))}, external ${mb(value('nodejs_external_memory_bytes'))}, open connections ${value('stratus_kafka_connections')}`;
  } catch (e) {
    return `metrics unavailable: ${(e as Error).message}`;
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function report(stats: SaslFuzzStats, seconds: number, limiter: LimiterReport, extra: readonly string[]): string {
  const lines = [`SASL fuzz: seed ${SEED} (STRATUS_SASL_FUZZ_SEED=${SEED}), ${stats.cases} cases, ${stats.steps} steps (${mb(stats.bytesWritten)}) in ${seconds.toFixed(1)} s over ${CONNECTIONS} connections; connect failures ${stats.connectFailures}`];
  lines.push(`  ${'family'.padEnd(10)} ${'cases'.padStart(7)} ${'answers'.padStart(8)} ${'closes'.padStart(7)} ${'anomalies'.padStart(9)}`);
  for (const f of SASL_FAMILIES) {
    const s = stats.byFamily.get(f)!;
    lines.push(`  ${f.padEnd(10)} ${String(s.cases).padStart(7)} ${String(s.answers).padStart(8)} ${String(s.closes).padStart(7)} ${String(s.anomalies).padStart(9)}`);
  }
  lines.push(`  answers: ${[...stats.codes.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  successful authentications: ${[...stats.successes.entries()].sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
  lines.push(`  variants: ${stats.variants.size}`);
  lines.push(
    `  limiter: ${limiter.failuresSent} failures from one address in ${limiter.burstMs} ms; then the right password ${limiter.lockedOut.errorCode === ErrorCode.SASL_AUTHENTICATION_FAILED ? 'refused' : 'NOT refused'} at ${limiter.lockedOutAfterMs} ms (${limiter.lockedOut.errorMessage}), from the next address ${limiter.neighbour.errorCode === 0 ? 'accepted' : `refused (${limiter.neighbour.errorMessage})`}, from the first again at ${limiter.recoveredAfterMs} ms ${limiter.recovered.errorCode === 0 ? 'accepted' : `refused (${limiter.recovered.errorMessage})`}`,
  );
  lines.push(...extra.map((l) => `  ${l}`));
  const problems = new Map<string, { n: number; example: (typeof stats.anomalies)[number] }>();
  for (const a of stats.anomalies) {
    const key = `${a.variant} / ${a.step}: ${a.problem}`;
    const seen = problems.get(key);
    if (seen === undefined) problems.set(key, { n: 1, example: a });
    else seen.n++;
  }
  lines.push(`  anomalies: ${stats.anomalies.length}`);
  for (const [key, { n, example }] of [...problems.entries()].slice(0, 40)) lines.push(`    ${n}x ${key}\n      e.g. case #${example.index}: ${example.hex.slice(0, 300)}`);
  return lines.join('\n');
}

describe('stratus dev under fuzzed SASL exchanges', () => {
  it(`answers ${CASES} SASL cases as Kafka does, leaks no password, and keeps serving an authenticated client`, { timeout: DEADLINE_MS + 120_000 }, async () => {
    console.log(`SASL fuzz: seed ${SEED} (set STRATUS_SASL_FUZZ_SEED=${SEED} to repeat), ${CASES} cases, ${CONNECTIONS} connections`);
    const { admin, bob } = broker.users;
    const target = broker.target(clientHello);
    const endpoints = broker.endpoints;
    const rss = sampleRss(broker);
    const control = await ControlClient.start(`${broker.host}:${broker.clearPort}`, CONTROL_TOPIC, CONTROL_GROUP, { sasl: { mechanism: 'scram-sha-512', username: admin.name, password: admin.password } });
    const probe = new LivenessProbe(broker.host, broker.clearPort, 100);
    const stats = new SaslFuzzStats();
    const brokerCpuBefore = await cpuSeconds(broker.child.pid!);
    const ownCpuBefore = process.cpuUsage();
    const started = performance.now();
    const [, limiter] = await Promise.all([
      runSaslFuzz({ seed: SEED, target, endpoints, cases: CASES, connections: CONNECTIONS, stepTimeoutMs: STEP_TIMEOUT_MS, deadlineMs: DEADLINE_MS, abort: () => !broker.alive, secrets: broker.passwords }, stats),
      watchLimiter(endpoints, admin, SASL_FUZZ_SETTINGS.maxFailuresPerAddress, SASL_FUZZ_SETTINGS.failureWindowMs),
    ]);
    const seconds = (performance.now() - started) / 1000;
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const cpuLine = `CPU during the run: broker ${((await cpuSeconds(broker.child.pid!)) - brokerCpuBefore).toFixed(1)} s, test process ${((ownCpu.user + ownCpu.system) / 1e6).toFixed(1)} s, wall ${seconds.toFixed(1)} s`;
    await probe.stop();
    const controlReport = await control.stop(20_000);
    rss.stop();
    expect(broker.alive, `the broker died:\n${broker.output.slice(-4000)}`).toBe(true);
    rss.samples.push(await broker.rssBytes());

    // Nothing a client sent before authenticating is still held (the credential cache once kept such names).
    const heldStrings = (await broker.heapStrings()).filter((t) => new RegExp(`${UNAUTHENTICATED_MARKER}[un]{100}`).test(t));
    const logLines = broker.output.split('\n');
    const bugLines = logLines.filter((l) => BUG_LOG.test(l) || l.includes('"level":50') || l.includes('"level":60'));
    const leakedLines = logLines.filter((l) => broker.passwords.some((p) => l.includes(p)));
    const trips = [...probe.roundTripsMs].sort((a, b) => a - b);
    const probeMaxMs = Math.round(trips[trips.length - 1] ?? 0);
    console.log(
      report(stats, seconds, limiter, [
        `broker RSS: first ${mb(rss.samples[0] ?? 0)}, peak ${mb(Math.max(...rss.samples))}, last ${mb(rss.samples[rss.samples.length - 1] ?? 0)} (bound ${mb(MAX_RSS_BYTES)}); at the end ${await brokerMemory(broker)}`,
        `liveness probe (ApiVersions every 100 ms on the SASL_PLAINTEXT port): ${trips.length} round trips, p50 ${Math.round(trips[Math.floor(trips.length / 2)] ?? 0)} ms, max ${probeMaxMs} ms, failures ${probe.failures}`,
        `control (kafkajs, SCRAM-SHA-512): ${controlReport.produced} produced, ${controlReport.consumed} consumed, ${controlReport.groupJoins} group joins, send latency max ${controlReport.sendLatencyMsMax} ms, errors ${controlReport.errors.length}, kafkajs warnings ${controlReport.logged.length}`,
        cpuLine,
        `broker heap after the run: ${heldStrings.length} strings still holding what clients sent before authenticating`,
        `broker log: ${logLines.length} lines (debug), bug-like ${bugLines.length}, with a password ${leakedLines.length}`,
      ]),
    );

    // Not vacuous: every family ran, honest logins succeeded by each mechanism and over TLS.
    expect(stats.cases).toBeGreaterThanOrEqual(CASES);
    expect(stats.connectFailures, 'connections the broker did not accept in time').toBeLessThan(CASES / 100);
    for (const f of SASL_FAMILIES) expect(stats.byFamily.get(f)!.cases, `family ${f} never ran`).toBeGreaterThan(0);
    for (const m of SASL_FUZZ_SETTINGS.mechanisms) expect(stats.successes.get(m) ?? 0, `no ${m} login succeeded`).toBeGreaterThan(0);
    expect([...stats.successes.keys()].some((k) => k.endsWith('over TLS')), 'no login over TLS').toBe(true);
    for (const code of ['UNSUPPORTED_SASL_MECHANISM', 'ILLEGAL_SASL_STATE', 'SASL_AUTHENTICATION_FAILED']) {
      expect([...stats.codes.keys()].some((k) => k.endsWith(code)), `no answer was ${code}`).toBe(true);
    }

    // Every case answered as Kafka answers, nothing leaked.
    expect(stats.anomalies.map((a) => `#${a.index} ${a.variant} / ${a.step}: ${a.problem}`)).toEqual([]);
    expect(stats.leaks).toBe(0);
    expect(leakedLines.map((l) => l.slice(0, 300).replaceAll(admin.password, '<admin password>').replaceAll(bob.password, '<bob password>'))).toEqual([]);
    expect(bugLines).toEqual([]);
    expect(heldStrings.map((t) => t.slice(0, 80))).toEqual([]);

    // The limiter locked out one address for its window only, and no other.
    expect(limiter.lockedOut).toEqual({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: TOO_MANY_FAILURES });
    expect(limiter.lockedOutAfterMs, 'the failures took longer than the window: nothing was proven').toBeLessThan(SASL_FUZZ_SETTINGS.failureWindowMs);
    expect(limiter.neighbour.errorCode).toBe(ErrorCode.NONE);
    expect(limiter.recovered.errorCode, `after the window: ${limiter.recovered.errorMessage}`).toBe(ErrorCode.NONE);

    // The authenticated client never noticed.
    expect(controlReport.errors).toEqual([]);
    expect(controlReport.ackProblems).toEqual([]);
    expect(controlReport.orderProblems).toEqual([]);
    expect(controlReport.produced).toBeGreaterThan(100);

    // Up, prompt, bounded.
    expect(probe.failures).toBe(0);
    expect(probeMaxMs).toBeLessThan(MAX_FREEZE_MS);
    expect(Math.max(...rss.samples)).toBeLessThan(MAX_RSS_BYTES);
  });
});
