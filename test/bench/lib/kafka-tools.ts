// Apache Kafka's own performance tools (ProducerPerformance, ConsumerPerformance) and the
// fixed-rate end-to-end program of test/bench/java, run through test/peers/kafka-run.sh
// with the same JVM and client settings for every system, and their output parsed.

import { join } from 'node:path';
import { run, tail } from './exec.ts';
import type { RunResult } from './exec.ts';

/** JVM settings of the client tools: what Kafka's distribution scripts use (kafka-run-class.sh performance options, kafka-producer-perf-test.sh heap). */
export const TOOL_HEAP_OPTS = '-Xmx512M';
export const TOOL_JVM_OPTS = '-server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15';

export class ToolError extends Error {
  readonly result: RunResult | undefined;
  constructor(message: string, result?: RunResult) {
    super(message);
    this.name = 'ToolError';
    this.result = result;
  }
}

export interface ProducerSummary {
  readonly records: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
  readonly avgMs: number;
  readonly maxMs: number;
  readonly p50Ms?: number;
  readonly p95Ms?: number;
  readonly p99Ms?: number;
  readonly p999Ms?: number;
}

export interface ProducerResult {
  /** The whole run. */
  readonly total: ProducerSummary;
  /** After --warmup-records, when given. */
  readonly steady?: ProducerSummary;
  readonly elapsedMs: number;
}

export interface ConsumerResult {
  readonly mb: number;
  readonly records: number;
  /** Including the group join (ConsumerPerformance's MB.sec). */
  readonly mbPerSecWithJoin: number;
  readonly rebalanceMs: number;
  readonly fetchMs: number;
  /** Excluding the group join (fetch.MB.sec, fetch.nMsg.sec): the throughput reported. */
  readonly mbPerSec: number;
  readonly recordsPerSec: number;
  readonly elapsedMs: number;
}

export interface EndToEndResult {
  readonly sent: number;
  readonly acked: number;
  readonly received: number;
  readonly counted: number;
  readonly expected: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly avgMs: number;
  readonly achievedRate: number;
  readonly firstError?: string;
  readonly elapsedMs: number;
}

const NUM = String.raw`([\d.]+)`;
const SUMMARY = new RegExp(
  String.raw`(\d+) (?:steady state )?records sent, ${NUM} records/sec \(${NUM} MB/sec\), ${NUM} ms avg latency, ${NUM} ms max latency(?:, ${NUM} ms 50th, ${NUM} ms 95th, ${NUM} ms 99th, ${NUM} ms 99\.9th)?`,
);

function summary(line: string): ProducerSummary | undefined {
  const m = SUMMARY.exec(line);
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i]);
  return {
    records: n(1),
    recordsPerSec: n(2),
    mbPerSec: n(3),
    avgMs: n(4),
    maxMs: n(5),
    ...(m[6] !== undefined ? { p50Ms: n(6), p95Ms: n(7), p99Ms: n(8), p999Ms: n(9) } : {}),
  };
}

/** ProducerPerformance's final lines: "N records sent, ... 99.9th." and, after a warmup, "N steady state records sent, ...". */
export function parseProducerPerformance(stdout: string): { total?: ProducerSummary; steady?: ProducerSummary } {
  let total: ProducerSummary | undefined;
  let steady: ProducerSummary | undefined;
  for (const line of stdout.split('\n')) {
    if (!line.includes('50th')) continue;
    const s = summary(line);
    if (!s) continue;
    if (line.includes('steady state records sent')) steady = s;
    else total = s;
  }
  return { ...(total ? { total } : {}), ...(steady ? { steady } : {}) };
}

/** ConsumerPerformance's CSV line (after its header). */
export function parseConsumerPerformance(stdout: string): Omit<ConsumerResult, 'elapsedMs'> | undefined {
  const lines = stdout.split('\n').map((l) => l.trim());
  const header = lines.findIndex((l) => l.startsWith('start.time'));
  if (header < 0) return undefined;
  const names = lines[header]!.split(',').map((s) => s.trim());
  const row = lines.slice(header + 1).find((l) => l.split(',').length === names.length);
  if (row === undefined) return undefined;
  const values = row.split(',').map((s) => s.trim());
  const get = (name: string): number => Number(values[names.indexOf(name)]);
  return {
    mb: get('data.consumed.in.MB'),
    records: get('data.consumed.in.nMsg'),
    mbPerSecWithJoin: get('MB.sec'),
    rebalanceMs: get('rebalance.time.ms'),
    fetchMs: get('fetch.time.ms'),
    mbPerSec: get('fetch.MB.sec'),
    recordsPerSec: get('fetch.nMsg.sec'),
  };
}

export interface ToolRunHooks {
  readonly timeoutMs: number;
  readonly onSpawn?: (pid: number) => void;
  readonly signal?: AbortSignal;
  readonly label?: string;
}

export class KafkaTools {
  private readonly runScript: string;
  private readonly classesDir: string;

  constructor(root: string, classesDir: string) {
    this.runScript = join(root, 'test', 'peers', 'kafka-run.sh');
    this.classesDir = classesDir;
  }

  private exec(mainClass: string, args: readonly string[], hooks: ToolRunHooks): Promise<RunResult> {
    return run('bash', [this.runScript, mainClass, ...args], {
      timeoutMs: hooks.timeoutMs,
      env: { ...process.env, KAFKA_HEAP_OPTS: TOOL_HEAP_OPTS, KAFKA_JVM_OPTS: TOOL_JVM_OPTS, KAFKA_RUN_CP: this.classesDir },
      ...(hooks.onSpawn ? { onSpawn: hooks.onSpawn } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
  }

  private static check(result: RunResult, what: string): void {
    if (result.aborted !== undefined) throw new ToolError(`${result.aborted}; ${what} was killed after ${Math.round(result.elapsedMs / 1000)} s`, result);
    if (result.timedOut) {
      const progress = lastProgress(result.stdout);
      throw new ToolError(
        `${what} timed out after ${Math.round(result.elapsedMs / 1000)} s and was killed${progress ? `; its last progress report: ${progress}` : ''}${lastWords(result)}`,
        result,
      );
    }
    if (result.error !== undefined) throw new ToolError(`${what} could not start: ${result.error}`, result);
  }

  async producerPerformance(
    opts: {
      bootstrap: string;
      topic: string;
      records: number;
      recordSize: number;
      throughput: number;
      props: Readonly<Record<string, string>>;
      warmupRecords?: number;
    },
    hooks: ToolRunHooks,
  ): Promise<ProducerResult> {
    const args = [
      '--bootstrap-server', opts.bootstrap,
      '--topic', opts.topic,
      '--num-records', String(opts.records),
      '--record-size', String(opts.recordSize),
      '--throughput', String(opts.throughput),
      ...(opts.warmupRecords !== undefined && opts.warmupRecords > 0 ? ['--warmup-records', String(opts.warmupRecords)] : []),
      '--command-property', ...Object.entries(opts.props).map(([k, v]) => `${k}=${v}`),
    ];
    const r = await this.exec('org.apache.kafka.tools.ProducerPerformance', args, hooks);
    KafkaTools.check(r, 'ProducerPerformance');
    const parsed = parseProducerPerformance(r.stdout);
    if (parsed.total === undefined) throw new ToolError(`ProducerPerformance printed no summary (exit ${r.code ?? r.signal})${lastWords(r)}`, r);
    if (r.code !== 0) throw new ToolError(`ProducerPerformance exited with ${r.code ?? r.signal}${lastWords(r)}`, r);
    if (parsed.total.records < opts.records) {
      throw new ToolError(`only ${parsed.total.records} of ${opts.records} records were acknowledged${lastWords(r)}`, r);
    }
    return { total: parsed.total, ...(parsed.steady ? { steady: parsed.steady } : {}), elapsedMs: r.elapsedMs };
  }

  async consumerPerformance(
    opts: { bootstrap: string; topic: string; records: number; group: string; timeoutMs: number; props?: Readonly<Record<string, string>> },
    hooks: ToolRunHooks,
  ): Promise<ConsumerResult> {
    const props = Object.entries(opts.props ?? {}).map(([k, v]) => `${k}=${v}`);
    const args = [
      '--bootstrap-server', opts.bootstrap,
      '--topic', opts.topic,
      '--num-records', String(opts.records),
      '--group', opts.group,
      '--timeout', String(opts.timeoutMs),
      ...(props.length > 0 ? ['--command-property', ...props] : []),
    ];
    const r = await this.exec('org.apache.kafka.tools.ConsumerPerformance', args, hooks);
    KafkaTools.check(r, 'ConsumerPerformance');
    const parsed = parseConsumerPerformance(r.stdout);
    if (parsed === undefined) throw new ToolError(`ConsumerPerformance printed no result (exit ${r.code ?? r.signal})${lastWords(r)}`, r);
    if (r.code !== 0) throw new ToolError(`ConsumerPerformance exited with ${r.code ?? r.signal}${lastWords(r)}`, r);
    if (parsed.records < opts.records) {
      throw new ToolError(`consumed only ${parsed.records} of ${opts.records} records before its ${opts.timeoutMs} ms idle timeout${lastWords(r)}`, r);
    }
    return { ...parsed, elapsedMs: r.elapsedMs };
  }

  async endToEnd(
    opts: { bootstrap: string; topic: string; rate: number; durationS: number; warmupS: number; recordSize: number; props: Readonly<Record<string, string>> },
    hooks: ToolRunHooks,
  ): Promise<EndToEndResult> {
    const args = [
      '--bootstrap', opts.bootstrap,
      '--topic', opts.topic,
      '--rate', String(opts.rate),
      '--duration-s', String(opts.durationS),
      '--warmup-s', String(opts.warmupS),
      '--record-size', String(opts.recordSize),
      ...Object.entries(opts.props).flatMap(([k, v]) => ['--prop', `${k}=${v}`]),
    ];
    const r = await this.exec('FixedRateEndToEnd', args, hooks);
    KafkaTools.check(r, 'FixedRateEndToEnd');
    const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
    if (line === undefined) throw new ToolError(`FixedRateEndToEnd printed no result (exit ${r.code ?? r.signal})${lastWords(r)}`, r);
    const parsed = JSON.parse(line) as Omit<EndToEndResult, 'elapsedMs'>;
    if (r.code !== 0) {
      throw new ToolError(
        `FixedRateEndToEnd: ${parsed.errors} errors, ${parsed.counted} of ${parsed.expected} records received${parsed.firstError ? ` (${parsed.firstError})` : ''}`,
        r,
      );
    }
    return { ...parsed, elapsedMs: r.elapsedMs };
  }
}

/** ProducerPerformance's last periodic report ("N records sent, R records/sec (M MB/sec), ..."), for runs killed before their summary. */
function lastProgress(stdout: string): string | undefined {
  return stdout
    .split('\n')
    .filter((l) => / records sent, /.test(l))
    .pop()
    ?.trim();
}

function lastWords(r: RunResult): string {
  const t = tail(r.stderr, 4);
  return t === '' ? '' : `: ${t.replace(/\s+/g, ' ').slice(0, 400)}`;
}
