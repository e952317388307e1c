// Client quotas end to end. Kafka's kafka-configs.sh (ConfigCommand, test/peers/kafka-bin.sh)
// sets, lists and removes quotas of users, client ids, their defaults and combinations
// against `stratus dev`, and the same commands against Apache Kafka 4.x
// (test/peers/kafka-broker.sh) must print the same, refusals included. Then real Java
// clients over their quotas (kafka-producer-perf-test, kafka-consumer-perf-test): a producer
// over producer_byte_rate and a consumer over consumer_byte_rate are held to within 10 % of
// the quota, while other client ids running at the same time are not throttled at all.
//
// How the throughput is judged: Kafka measures a client's rate over `samples` windows and
// lets a client that was idle send (samples − 1) windows' worth at once (Rate.windowSize
// counts the missing windows as empty), so a run of T seconds moves about
// quota × (T + (samples − 1) × window) bytes. Windows of 200 ms (quotas.windowSize; Kafka's
// default is 1 s, the same arithmetic) keep that allowance at 2 s — under 7 % of a 30 s
// run — and make the throttling cycle (a burst, then throttled until the window has aged)
// short enough that a run averages over many cycles. Bytes are the records' (1000-byte
// values); what the broker counts adds batch and request headers, about 1 %. ~3 min with
// Kafka's start and the JVM tools.
//
// Fetches: a throttled fetch is answered without data and its size taken back (Kafka's
// getThrottledResponse), and the window pads missing samples as empty, so an answer as large
// as a good part of what the window admits leaves the consumer waiting until that part of
// the window expires — bursts, then silence. The consumers here fetch at most 64 KiB (the
// records were written in small batches, linger.ms=0, and a batch over the limit is the only
// thing a fetch may return beyond it, so every answer is that small), and the slow
// one's rate is taken from its own progress lines once its first burst is behind it.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, StratusProcess } from '../support/stratus-process.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const WINDOW_SAMPLES = 11;
const WINDOW_MS = 200;
/** Bytes a client that was idle may send before the first throttle: (samples − 1) windows at the quota's rate. */
const BURST_SECONDS = ((WINDOW_SAMPLES - 1) * WINDOW_MS) / 1000;

let bin: string;

beforeAll(async () => {
  bin = (await run('bash', [join(ROOT, 'test/peers/kafka-bin.sh')], { cwd: ROOT, timeout: 300_000 })).stdout.trim();
}, 360_000);

/** A Kafka tool's output; a failing one's too (the refusals are part of the answer). */
async function tool(name: string, args: readonly string[]): Promise<string> {
  try {
    const r = await run(join(bin, name), [...args], { timeout: 180_000, maxBuffer: 1 << 24 });
    return r.stdout + r.stderr;
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
}

/** The lines that answer: the tool's own lines and the error it reports, without log lines, stack frames or JVM chatter. */
function answerLines(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at ') && !/^\[\d{4}-/.test(l) && !l.includes('SLF4J') && !l.startsWith('...'));
}

/** kafka-configs.sh steps over every kind of quota entity; the transcript of their answers. */
async function configsTranscript(bootstrap: string): Promise<string[]> {
  const configs = (...args: string[]) => tool('kafka-configs.sh', ['--bootstrap-server', bootstrap, ...args]);
  const steps: [string, string[]][] = [
    ['set a client id', ['--alter', '--add-config', 'producer_byte_rate=1048576,consumer_byte_rate=2097152', '--entity-type', 'clients', '--entity-name', 'slow']],
    ['set the default user', ['--alter', '--add-config', 'request_percentage=50', '--entity-type', 'users', '--entity-default']],
    ['set a user and client id', ['--alter', '--add-config', 'producer_byte_rate=1000', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app']],
    ['set a user and the default client id', ['--alter', '--add-config', 'consumer_byte_rate=2000', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-default']],
    ['set an ip', ['--alter', '--add-config', 'connection_creation_rate=10', '--entity-type', 'ips', '--entity-name', '10.0.0.1']],
    ['describe a client id', ['--describe', '--entity-type', 'clients', '--entity-name', 'slow']],
    ['describe all client ids', ['--describe', '--entity-type', 'clients']],
    ['describe all users', ['--describe', '--entity-type', 'users']],
    ['describe the default user', ['--describe', '--entity-type', 'users', '--entity-default']],
    ['describe a user and client id', ['--describe', '--entity-type', 'users', '--entity-name', 'alice', '--entity-type', 'clients', '--entity-name', 'app']],
    ['describe ips', ['--describe', '--entity-type', 'ips']],
    ['refuse a negative rate', ['--alter', '--add-config', 'producer_byte_rate=-5', '--entity-type', 'clients', '--entity-name', 'bad']],
    ['refuse a fractional byte rate', ['--alter', '--add-config', 'consumer_byte_rate=10.5', '--entity-type', 'clients', '--entity-name', 'bad']],
    ['refuse an unknown key', ['--alter', '--add-config', 'no_such_rate=5', '--entity-type', 'clients', '--entity-name', 'bad']],
    ['refuse an ip key on a user', ['--alter', '--add-config', 'connection_creation_rate=5', '--entity-type', 'users', '--entity-name', 'bob']],
    ['remove a key', ['--alter', '--delete-config', 'producer_byte_rate', '--entity-type', 'clients', '--entity-name', 'slow']],
    ['describe it after', ['--describe', '--entity-type', 'clients', '--entity-name', 'slow']],
    ['remove the last keys', ['--alter', '--delete-config', 'consumer_byte_rate', '--entity-type', 'clients', '--entity-name', 'slow']],
    ['describe all client ids after', ['--describe', '--entity-type', 'clients']],
  ];
  const transcript: string[] = [];
  // The address differs between the two brokers; the tool repeats it in its error lines.
  for (const [name, args] of steps) transcript.push(`## ${name}`, ...answerLines((await configs(...args)).replaceAll(bootstrap, '<bootstrap>')));
  return transcript;
}

describe('kafka-configs.sh quotas: stratus dev answers as Apache Kafka does', () => {
  const transcripts: Record<string, string[]> = {};

  it('against stratus dev', async () => {
    const dev = await StratusProcess.start();
    try {
      transcripts['stratus'] = await configsTranscript(dev.bootstrap);
    } finally {
      await dev.stop();
    }
    const t = transcripts['stratus'];
    expect(t).toContain("Quota configs for client-id 'slow' are consumer_byte_rate=2097152.0, producer_byte_rate=1048576.0");
    expect(t).toContain("Quota configs for the default user-principal are request_percentage=50.0");
    expect(t.join('\n')).toContain('Quota producer_byte_rate must be greater than 0');
  }, 300_000);

  it('against Apache Kafka, the reference: the same transcript', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stratus-quotas-kafka-'));
    const [port, controllerPort] = [await freePort(), await freePort()];
    const script = join(ROOT, 'test/peers/kafka-broker.sh');
    await run('bash', [script, 'start', dir, String(port), String(controllerPort)], { maxBuffer: 1 << 24, timeout: 300_000 });
    try {
      transcripts['kafka'] = await configsTranscript(`127.0.0.1:${port}`);
    } finally {
      await run('bash', [script, 'stop', dir], { timeout: 120_000 });
      rmSync(dir, { recursive: true, force: true });
    }
    expect(transcripts['stratus']).toBeDefined();
    expect(transcripts['kafka']).toEqual(transcripts['stratus']);
  }, 420_000);
});

/** The final summary line of kafka-producer-perf-test: records, records/s. */
function producerSummary(output: string): { records: number; seconds: number } {
  const m = /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, /.exec(output);
  if (m === null) throw new Error(`no summary in:\n${output}`);
  return { records: Number(m[1]), seconds: Number(m[1]) / Number(m[2]) };
}

/** kafka-consumer-perf-test's progress lines (--show-detailed-stats): when, and how many MiB consumed so far. */
function consumerProgress(output: string): { atMs: number; bytes: number }[] {
  const lines: { atMs: number; bytes: number }[] = [];
  for (const l of output.split('\n')) {
    // time, threadId, data.consumed.in.MB (so far), MB.sec, data.consumed.in.nMsg, ...
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d):(\d{3}), \d+, ([\d.]+), /.exec(l.trim());
    if (m !== null) lines.push({ atMs: Date.parse(`${m[1]}T${m[2]}.${m[3]}`), bytes: Number(m[4]) * 1024 * 1024 });
  }
  return lines;
}

/** A metric --print-metrics printed (`group:name:{client-id=x} : value`). */
function printedMetric(output: string, name: string): number {
  const m = new RegExp(`:${name}:\\{client-id=[^}]*\\}\\s*:\\s*([\\d.]+)`).exec(output);
  if (m === null) throw new Error(`no ${name} in:\n${output.slice(-3000)}`);
  return Number(m[1]);
}

describe('real clients over their quotas (stratus dev, 11 × 200 ms quota windows)', () => {
  const RECORD_BYTES = 1000;
  const PRODUCE_QUOTA = 1_000_000;
  /** ~30 s at the quota: the burst a client may send at once (BURST_SECONDS of it) is under 7 % of the run. */
  const RECORDS = 30_000;
  const FETCH_QUOTA = 1_000_000;
  /** ~30 s at the quota. */
  const FETCH_RECORDS = 30_000;
  /** The consumer's rate is taken once this much (more than the 2 s burst) is behind it. */
  const STEADY_AFTER_BYTES = 4 * 1024 * 1024;
  let dev: StratusProcess;

  beforeAll(async () => {
    dev = await StratusProcess.start({ env: { STRATUS_QUOTAS_WINDOW_SAMPLES: String(WINDOW_SAMPLES), STRATUS_QUOTAS_WINDOW_SIZE: `${WINDOW_MS}ms` } });
    const configs = (...args: string[]) => tool('kafka-configs.sh', ['--bootstrap-server', dev.bootstrap, ...args]);
    await tool('kafka-topics.sh', ['--bootstrap-server', dev.bootstrap, '--create', '--topic', 'quota-slow', '--partitions', '3']);
    await tool('kafka-topics.sh', ['--bootstrap-server', dev.bootstrap, '--create', '--topic', 'quota-fast', '--partitions', '3']);
    expect(await configs('--alter', '--add-config', `producer_byte_rate=${PRODUCE_QUOTA}`, '--entity-type', 'clients', '--entity-name', 'slow-producer')).toContain('Completed updating config for client slow-producer.');
    // What the consumers read: written in small batches (see the header), unthrottled.
    for (const topic of ['fetch-slow', 'fetch-fast']) {
      await tool('kafka-topics.sh', ['--bootstrap-server', dev.bootstrap, '--create', '--topic', topic, '--partitions', '3']);
      const out = await tool('kafka-producer-perf-test.sh', ['--topic', topic, '--num-records', String(FETCH_RECORDS), '--record-size', String(RECORD_BYTES), '--throughput', '5000', '--command-property', `bootstrap.servers=${dev.bootstrap}`, 'acks=all', 'linger.ms=0']);
      expect(producerSummary(out).records).toBe(FETCH_RECORDS);
    }
    expect(await configs('--alter', '--add-config', `consumer_byte_rate=${FETCH_QUOTA}`, '--entity-type', 'clients', '--entity-name', 'slow-consumer')).toContain('Completed updating config for client slow-consumer.');
  }, 300_000);

  afterAll(async () => {
    await dev?.stop();
  }, 60_000);

  const produce = (topic: string, clientId: string) =>
    tool('kafka-producer-perf-test.sh', ['--topic', topic, '--num-records', String(RECORDS), '--record-size', String(RECORD_BYTES), '--throughput', '-1', '--print-metrics', '--command-property', `bootstrap.servers=${dev.bootstrap}`, `client.id=${clientId}`, 'acks=all']);

  it('holds a producer over producer_byte_rate to within 10 % of it; another client id producing meanwhile is not throttled', async () => {
    const slow = produce('quota-slow', 'slow-producer');
    // The other one starts once the slow one is throttled, and runs during its throttling.
    await new Promise((r) => setTimeout(r, 6_000));
    const fastOut = await produce('quota-fast', 'fast-producer');
    const slowOut = await slow;
    const s = producerSummary(slowOut);
    const f = producerSummary(fastOut);
    const slowRate = (s.records * RECORD_BYTES) / s.seconds;
    const fastRate = (f.records * RECORD_BYTES) / f.seconds;
    console.log(`produce: slow-producer ${(slowRate / 1e6).toFixed(3)} MB/s over ${s.seconds.toFixed(1)} s (quota ${PRODUCE_QUOTA / 1e6} MB/s; without the ${BURST_SECONDS} s burst: ${((s.records * RECORD_BYTES) / (s.seconds + BURST_SECONDS) / 1e6).toFixed(3)}), fast-producer ${(fastRate / 1e6).toFixed(2)} MB/s`);
    expect(s.records).toBe(RECORDS);
    expect(Math.abs(slowRate - PRODUCE_QUOTA) / PRODUCE_QUOTA).toBeLessThan(0.1);
    expect(printedMetric(slowOut, 'produce-throttle-time-max')).toBeGreaterThan(0);
    expect(printedMetric(fastOut, 'produce-throttle-time-max')).toBe(0);
    expect(fastRate).toBeGreaterThan(2 * PRODUCE_QUOTA);
  }, 240_000);

  const consume = (topic: string, clientId: string) =>
    tool('kafka-consumer-perf-test.sh', [
      '--bootstrap-server', dev.bootstrap, '--topic', topic, '--messages', String(FETCH_RECORDS), '--group', `g-${clientId}`, '--print-metrics', '--timeout', '60000',
      '--show-detailed-stats', '--reporting-interval', '1000',
      // One property per --command-property (the consumer tool takes one value each).
      '--command-property', `client.id=${clientId}`, '--command-property', 'fetch.max.bytes=65536', '--command-property', 'max.partition.fetch.bytes=65536',
    ]);

  it('holds a consumer over consumer_byte_rate to within 10 % of it; another client id consuming meanwhile is not throttled', async () => {
    const slow = consume('fetch-slow', 'slow-consumer');
    await new Promise((r) => setTimeout(r, 8_000));
    const fastStarted = Date.now();
    const fastOut = await consume('fetch-fast', 'fast-consumer');
    // The JVM's start and the group's join included: a lower bound of its rate.
    const fastRate = (FETCH_RECORDS * RECORD_BYTES) / ((Date.now() - fastStarted) / 1000);
    const slowOut = await slow;
    const progress = consumerProgress(slowOut);
    const from = progress.find((p) => p.bytes >= STEADY_AFTER_BYTES);
    const to = progress.at(-1);
    if (from === undefined || to === undefined || to.atMs - from.atMs < 10_000) throw new Error(`too little steady progress:\n${slowOut.slice(0, 4000)}`);
    const slowRate = (to.bytes - from.bytes) / ((to.atMs - from.atMs) / 1000);
    console.log(`fetch: slow-consumer ${(slowRate / 1e6).toFixed(3)} MB/s over ${((to.atMs - from.atMs) / 1000).toFixed(1)} s after its first ${STEADY_AFTER_BYTES / 1048576} MiB (quota ${FETCH_QUOTA / 1e6} MB/s), fast-consumer at least ${(fastRate / 1e6).toFixed(2)} MB/s`);
    expect(Math.abs(slowRate - FETCH_QUOTA) / FETCH_QUOTA).toBeLessThan(0.1);
    expect(printedMetric(slowOut, 'fetch-throttle-time-max')).toBeGreaterThan(0);
    expect(printedMetric(fastOut, 'fetch-throttle-time-max')).toBe(0);
    expect(fastRate).toBeGreaterThan(2 * FETCH_QUOTA);
  }, 240_000);
});
