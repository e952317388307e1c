// The workloads W1–W6 of issue 5, run against one broker at a time with identical client
// settings. Every row is measured the same way: topic set-up first (not measured), then
// from just before the client tool starts until it exits (and, for Stratus, until what it
// produced is uploaded): broker CPU seconds from /proc/<pid>/stat, broker peak RSS sampled
// every 200 ms, the machine's busy time, and Stratus's object-store counters from /metrics.
// A failure (tool error, timeout, dead broker) is recorded in its row; nothing throws.

import type { Broker } from './brokers.ts';
import type { KafkaTools, ProducerSummary, ToolRunHooks } from './kafka-tools.ts';
import { diff, requestCostUsd, scrape } from './object-store.ts';
import type { ObjectStoreCounters } from './object-store.ts';
import { Sampler, clockTicks, cpuSeconds, machineCpu, rssBytes } from './proc.ts';
import type { ObjectStoreRow, Row } from './types.ts';

export const RECORD_SIZE = 1024;
export const W1_PARTITIONS = 6;
/** Producer settings of every ProducerPerformance run (W1, W2, W5, W6), as the issue gives them; the rest are the client's defaults (idempotence on). */
export const PRODUCER_PROPS: Readonly<Record<string, string>> = { acks: 'all', 'linger.ms': '5', 'batch.size': '65536' };
/** W4's producer: acks=all and no linger, as Kafka's own EndToEndLatency tool sets it; the consumer keeps its defaults. */
export const E2E_PROPS: Readonly<Record<string, string>> = { 'producer.acks': 'all', 'producer.linger.ms': '0' };
export const W4_RATE = 1000;
/** W5: 20 MB/s total of 1 KiB records. */
export const W5_RATE = 20 * 1024;
/** W5's partition counts: 6 is the baseline, 10,000 the target; the full run adds 1,000. */
export const W5_PARTITIONS = [6, 1000, 10_000] as const;
/** ConsumerPerformance gives up after this long without a record. */
export const CONSUMER_IDLE_TIMEOUT_MS = 30_000;
/** Timeouts assume at least this throughput (MiB/s) before calling a run stuck. */
const SLOWEST_MIB_S = 5;

export interface Sizes {
  readonly w1Records: number;
  readonly w2WarmupS: number;
  readonly w2DurationS: number;
  readonly w4WarmupS: number;
  readonly w4DurationS: number;
  readonly w5DurationS: number;
  readonly w5Partitions: readonly number[];
  readonly w6Records: number;
}

export const SIZES: Readonly<Record<'quick' | 'full', Sizes>> = {
  quick: { w1Records: 300_000, w2WarmupS: 1, w2DurationS: 5, w4WarmupS: 2, w4DurationS: 5, w5DurationS: 3, w5Partitions: [6, 10_000], w6Records: 300_000 },
  full: { w1Records: 2_000_000, w2WarmupS: 5, w2DurationS: 30, w4WarmupS: 5, w4DurationS: 60, w5DurationS: 20, w5Partitions: W5_PARTITIONS, w6Records: 2_000_000 },
};

export interface WorkloadContext {
  /** The broker under test (replaced by a fresh one if it dies; see run.ts). */
  broker: Broker;
  readonly tools: KafkaTools;
  readonly sizes: Sizes;
  readonly createTopic: (bootstrap: string, topic: string, partitions: number) => Promise<void>;
  /** Client settings added to the produce tools' own (the SSL systems': lib/tls.ts); the row records them too. */
  readonly clientProps?: Readonly<Record<string, string>>;
  /** W2's rate in records/s and where it came from. */
  readonly w2Rate: () => { rate: number; source: string } | undefined;
  readonly onRow: (row: Row) => void;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function produceTimeoutMs(records: number): number {
  return 30_000 + ((records * RECORD_SIZE) / (SLOWEST_MIB_S * MiB)) * 1000;
}

function fixedRateTimeoutMs(seconds: number): number {
  return 60_000 + seconds * 3000;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ').slice(0, 500);
}

interface Body {
  /** Runs the tool and fills the row's results. */
  (hooks: ToolRunHooks & { timeoutMs: number }): Promise<void>;
}

/** One measured row: set-up, then the tool under the samplers, then the broker's drain. */
async function measure(
  ctx: WorkloadContext,
  row: Row,
  opts: { setup?: () => Promise<void>; timeoutMs: number; drain: boolean; clientBytes: () => number },
  body: Body,
): Promise<Row> {
  const { broker } = ctx;
  const say = (s: string): void => console.log(`  [${broker.spec.id}] ${row.workload.padEnd(9)} ${s}`);
  say(`${row.title} …`);
  if (!broker.isAlive()) {
    row.status = 'failed';
    row.reason = 'the broker is not running (it died during an earlier workload)';
    row.brokerLog = broker.logTail();
    say(`FAILED: ${row.reason}`);
    ctx.onRow(row);
    return row;
  }
  if (opts.setup) {
    const t0 = performance.now();
    try {
      await opts.setup();
    } catch (e) {
      row.status = 'failed';
      row.reason = `set-up: ${errorText(e)}`;
      row.setupSeconds = (performance.now() - t0) / 1000;
      if (!broker.isAlive()) row.brokerLog = broker.logTail();
      say(`FAILED: ${row.reason}`);
      ctx.onRow(row);
      return row;
    }
    row.setupSeconds = round((performance.now() - t0) / 1000, 2);
  }

  const pid = broker.pid;
  row.brokerPid = pid;
  const isStratus = broker.httpPort !== undefined;
  let osBefore: ObjectStoreCounters | undefined;
  if (isStratus) {
    try {
      osBefore = await scrape(broker.httpPort);
    } catch (e) {
      row.extra = { ...row.extra, metrics: `scrape before failed: ${errorText(e)}` };
    }
  }
  row.brokerRssBeforeBytes = (await rssBytes(pid)) ?? 0;
  const cpu0 = cpuSeconds(pid) ?? 0;
  const mach0 = machineCpu();
  const self0 = process.cpuUsage();
  const wall0 = performance.now();
  const sampler = new Sampler(pid);
  // A broker that dies mid-run ends the run at once instead of leaving the client to
  // retry until its own timeouts.
  const abort = new AbortController();
  const watchdog = setInterval(() => {
    if (!broker.isAlive()) abort.abort('the broker exited during the run');
  }, 500);
  try {
    await body({ timeoutMs: opts.timeoutMs, onSpawn: (p) => sampler.setClientPid(p), signal: abort.signal });
    sampler.clientDone();
    if (opts.drain) row.drainSeconds = round(await broker.drain(120_000), 2);
  } catch (e) {
    row.status = 'failed';
    row.reason = errorText(e);
  } finally {
    clearInterval(watchdog);
  }
  const sampled = await sampler.stop();
  const cpu1 = cpuSeconds(pid);
  const mach1 = machineCpu();
  const self = process.cpuUsage(self0);
  const wall = (performance.now() - wall0) / 1000;
  if (cpu1 === undefined || !broker.isAlive()) {
    row.status = 'failed';
    if (!(row.reason ?? '').startsWith('the broker exited')) row.reason = `the broker exited during the run${row.reason ? `; ${row.reason}` : ''}`;
  }
  if (cpu1 !== undefined) {
    row.brokerCpuSeconds = round(cpu1 - cpu0, 2);
  }
  row.brokerPeakRssBytes = sampled.peakRssBytes;
  row.clientCpuSeconds = round(sampled.clientCpuSeconds, 2);
  const busy = (mach1.busy - mach0.busy) / clockTicks();
  row.machineBusyCores = round(busy / wall, 2);
  const harness = (self.user + self.system) / 1e6;
  row.otherCpuSeconds = round(Math.max(0, busy - (row.brokerCpuSeconds ?? 0) - sampled.clientCpuSeconds - harness), 2);

  if (isStratus && osBefore !== undefined && broker.isAlive()) {
    try {
      const d = diff(osBefore, await scrape(broker.httpPort));
      row.objectStore = objectStoreRow(d, opts.clientBytes(), row);
    } catch (e) {
      row.extra = { ...row.extra, metrics: `scrape after failed: ${errorText(e)}` };
    }
  }
  if (row.status === 'failed') {
    if (!broker.isAlive()) row.brokerLog = broker.logTail();
    say(`FAILED: ${row.reason ?? ''}`);
  } else {
    say(summaryLine(row));
  }
  ctx.onRow(row);
  return row;
}

function objectStoreRow(d: ObjectStoreCounters, clientBytes: number, row: Row): ObjectStoreRow {
  const clientGiB = clientBytes / GiB;
  const total = Object.values(d.requests).reduce((a, b) => a + b, 0);
  const per = (n: number): number => (clientGiB > 0 ? round(n / clientGiB, 1) : 0);
  const cost = requestCostUsd(d.requests);
  const activeS =
    row.records !== undefined && row.recordsPerSec !== undefined && row.recordsPerSec > 0 ? row.records / row.recordsPerSec + (row.drainSeconds ?? 0) : undefined;
  const perGiBUsd = (usd: number): number => (clientGiB > 0 ? usd / clientGiB : 0);
  return {
    requests: d.requests,
    failedRequests: d.failed,
    bytesWritten: d.bytesWritten,
    bytesRead: d.bytesRead,
    clientGiB: round(clientGiB, 4),
    ...(row.direction !== 'consume' ? { putsPerGiB: per(d.requests.put) } : {}),
    ...(row.direction !== 'produce' ? { getsPerGiB: per(d.requests.get) } : {}),
    requestsPerGiB: per(total),
    ...(row.direction !== 'consume' && activeS !== undefined ? { putsPerSec: round(d.requests.put / activeS, 2) } : {}),
    ...(d.requests.put > 0 ? { bytesPerPut: Math.round(d.bytesWritten / d.requests.put) } : {}),
    costPerGiBUsd: { putClass: perGiBUsd(cost.putClass), getClass: perGiBUsd(cost.getClass), total: perGiBUsd(cost.total) },
  };
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function summaryLine(row: Row): string {
  const parts: string[] = [];
  if (row.mbPerSec !== undefined) parts.push(`${row.mbPerSec.toFixed(1)} MB/s`);
  if (row.recordsPerSec !== undefined) parts.push(`${Math.round(row.recordsPerSec).toLocaleString('en-US')} rec/s`);
  if (row.latency?.p99Ms !== undefined) parts.push(`p50 ${row.latency.p50Ms} / p99 ${row.latency.p99Ms} ms`);
  if (row.brokerCpuSeconds !== undefined) parts.push(`broker ${row.brokerCpuSeconds} CPU s`);
  if (row.brokerPeakRssBytes) parts.push(`RSS ${Math.round(row.brokerPeakRssBytes / MiB)} MiB`);
  if (row.objectStore) parts.push(`${row.objectStore.requestsPerGiB} obj req/GiB`);
  return parts.join(', ');
}

function newRow(ctx: WorkloadContext, workload: string, title: string, direction: Row['direction'], params: Record<string, string | number>): Row {
  return { workload, title, system: ctx.broker.spec.id, status: 'ok', direction, params };
}

const propsText = (p: Readonly<Record<string, string>>): string =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

async function produceThroughput(ctx: WorkloadContext, workload: string, title: string, topic: string, records: number, props: Readonly<Record<string, string>>): Promise<Row> {
  const row = newRow(ctx, workload, title, 'produce', {
    tool: 'ProducerPerformance',
    topic,
    partitions: W1_PARTITIONS,
    records,
    recordSize: RECORD_SIZE,
    throughput: -1,
    producerProps: propsText({ ...props, ...ctx.clientProps }),
  });
  return measure(
    ctx,
    row,
    {
      setup: () => ctx.createTopic(ctx.broker.bootstrap, topic, W1_PARTITIONS),
      timeoutMs: produceTimeoutMs(records),
      drain: true,
      clientBytes: () => (row.records ?? 0) * RECORD_SIZE,
    },
    async (hooks) => {
      const r = await ctx.tools.producerPerformance({ bootstrap: ctx.broker.bootstrap, topic, records, recordSize: RECORD_SIZE, throughput: -1, props: { ...props, ...ctx.clientProps } }, hooks);
      fillProducer(row, r.total, r.elapsedMs);
    },
  );
}

function fillProducer(row: Row, s: ProducerSummary, elapsedMs: number): void {
  row.records = s.records;
  row.mbPerSec = s.mbPerSec;
  row.recordsPerSec = s.recordsPerSec;
  row.latency = {
    avgMs: s.avgMs,
    maxMs: s.maxMs,
    ...(s.p50Ms !== undefined ? { p50Ms: s.p50Ms, p95Ms: s.p95Ms ?? 0, p99Ms: s.p99Ms ?? 0, p999Ms: s.p999Ms ?? 0 } : {}),
  };
  row.toolSeconds = round(elapsedMs / 1000, 2);
}

/** W1: produce throughput, 6 partitions, unthrottled. */
export function w1(ctx: WorkloadContext): Promise<Row> {
  return produceThroughput(ctx, 'W1', 'produce throughput (1 KiB, 6 partitions, acks=all, unthrottled)', 'bench-w1', ctx.sizes.w1Records, PRODUCER_PROPS);
}

/** W6: W1 with a compression codec. */
export function w6(ctx: WorkloadContext, codec: 'lz4' | 'zstd'): Promise<Row> {
  return produceThroughput(ctx, `W6-${codec}`, `W1 with compression.type=${codec}`, `bench-w6-${codec}`, ctx.sizes.w6Records, {
    ...PRODUCER_PROPS,
    'compression.type': codec,
  });
}

/** W3: consume W1's topic from the beginning with a new group. */
export function w3(ctx: WorkloadContext, temperature: 'hot' | 'cold', w1Row: Row | undefined, skipReason?: string): Promise<Row> {
  const records = w1Row?.status === 'ok' ? (w1Row.records ?? 0) : ctx.sizes.w1Records;
  const title =
    temperature === 'hot'
      ? 'consume throughput, W1 data right after it was written'
      : 'consume throughput, cold: restarted on the same data (memory caches empty), read from the object store';
  const row = newRow(ctx, `W3-${temperature}`, title, 'consume', {
    tool: 'ConsumerPerformance',
    topic: 'bench-w1',
    records,
    idleTimeoutMs: CONSUMER_IDLE_TIMEOUT_MS,
    consumerProps: 'defaults',
  });
  if (w1Row?.status !== 'ok' || skipReason !== undefined) {
    row.status = 'skipped';
    row.reason = skipReason ?? 'W1 did not complete, so there is no data to consume';
    console.log(`  [${ctx.broker.spec.id}] ${row.workload.padEnd(9)} skipped: ${row.reason}`);
    ctx.onRow(row);
    return Promise.resolve(row);
  }
  const group = `bench-w3-${temperature}-${Date.now()}`;
  return measure(
    ctx,
    row,
    {
      ...(temperature === 'cold'
        ? {
            setup: async () => {
              const waited = await ctx.broker.drain(120_000);
              await ctx.broker.restart();
              row.extra = { ...row.extra, uploadWaitBeforeRestartS: round(waited, 2) };
            },
          }
        : {}),
      timeoutMs: 30_000 + CONSUMER_IDLE_TIMEOUT_MS + ((records * RECORD_SIZE) / (SLOWEST_MIB_S * MiB)) * 1000,
      drain: false,
      clientBytes: () => (row.extra?.['consumedMB'] as number | undefined ?? 0) * MiB,
    },
    async (hooks) => {
      const r = await ctx.tools.consumerPerformance(
        { bootstrap: ctx.broker.bootstrap, topic: 'bench-w1', records, group, timeoutMs: CONSUMER_IDLE_TIMEOUT_MS },
        hooks,
      );
      row.records = r.records;
      row.mbPerSec = r.mbPerSec;
      row.recordsPerSec = r.recordsPerSec;
      row.toolSeconds = round(r.elapsedMs / 1000, 2);
      row.extra = { ...row.extra, consumedMB: r.mb, groupJoinMs: r.rebalanceMs, fetchMs: r.fetchMs, mbPerSecWithGroupJoin: r.mbPerSecWithJoin };
    },
  );
}

/** W2: produce latency at a fixed rate (half of Kafka's W1 records/s). */
export function w2(ctx: WorkloadContext): Promise<Row> {
  const rate = ctx.w2Rate();
  const { w2WarmupS, w2DurationS } = ctx.sizes;
  const row = newRow(ctx, 'W2', 'produce latency at a fixed rate of 50% of Kafka W1', 'produce', {
    tool: 'ProducerPerformance',
    topic: 'bench-w2',
    partitions: W1_PARTITIONS,
    recordSize: RECORD_SIZE,
    producerProps: propsText(PRODUCER_PROPS),
    warmupSeconds: w2WarmupS,
    measuredSeconds: w2DurationS,
  });
  if (rate === undefined || rate.rate <= 0) {
    row.status = 'skipped';
    row.reason = 'no W1 result to take the rate from';
    ctx.onRow(row);
    return Promise.resolve(row);
  }
  const warmup = Math.round(rate.rate * w2WarmupS);
  const records = warmup + Math.round(rate.rate * w2DurationS);
  Object.assign(row.params, { throughput: rate.rate, rateSource: rate.source, records, warmupRecords: warmup });
  return measure(
    ctx,
    row,
    {
      setup: () => ctx.createTopic(ctx.broker.bootstrap, 'bench-w2', W1_PARTITIONS),
      timeoutMs: fixedRateTimeoutMs(w2WarmupS + w2DurationS),
      drain: true,
      clientBytes: () => records * RECORD_SIZE,
    },
    async (hooks) => {
      const r = await ctx.tools.producerPerformance(
        { bootstrap: ctx.broker.bootstrap, topic: 'bench-w2', records, recordSize: RECORD_SIZE, throughput: rate.rate, props: PRODUCER_PROPS, warmupRecords: warmup },
        hooks,
      );
      // The steady-state summary (after the warmup records) is what W2 reports.
      fillProducer(row, r.steady ?? r.total, r.elapsedMs);
      row.extra = { ...row.extra, steadyState: r.steady ? 'yes' : 'no (whole run)', totalP99Ms: r.total.p99Ms ?? -1, targetRecordsPerSec: rate.rate };
      // For the per-GiB figures, the whole run's records count.
      row.records = records;
      row.recordsPerSec = r.steady?.recordsPerSec ?? r.total.recordsPerSec;
    },
  );
}

/** W4: end-to-end latency at 1,000 msg/s (FixedRateEndToEnd). */
export function w4(ctx: WorkloadContext): Promise<Row> {
  const { w4WarmupS, w4DurationS } = ctx.sizes;
  const row = newRow(ctx, 'W4', `end-to-end latency at ${W4_RATE.toLocaleString('en-US')} msg/s`, 'end-to-end', {
    tool: 'FixedRateEndToEnd (test/bench/java)',
    topic: 'bench-w4',
    partitions: W1_PARTITIONS,
    rate: W4_RATE,
    recordSize: RECORD_SIZE,
    warmupSeconds: w4WarmupS,
    measuredSeconds: w4DurationS,
    props: propsText(E2E_PROPS),
  });
  return measure(
    ctx,
    row,
    {
      setup: () => ctx.createTopic(ctx.broker.bootstrap, 'bench-w4', W1_PARTITIONS),
      timeoutMs: fixedRateTimeoutMs(w4WarmupS + w4DurationS) + 30_000,
      drain: true,
      clientBytes: () => (row.extra?.['sent'] as number | undefined ?? 0) * RECORD_SIZE,
    },
    async (hooks) => {
      const r = await ctx.tools.endToEnd(
        { bootstrap: ctx.broker.bootstrap, topic: 'bench-w4', rate: W4_RATE, durationS: w4DurationS, warmupS: w4WarmupS, recordSize: RECORD_SIZE, props: E2E_PROPS },
        hooks,
      );
      row.records = r.counted;
      row.recordsPerSec = round(r.achievedRate, 1);
      row.mbPerSec = round((r.achievedRate * RECORD_SIZE) / MiB, 3);
      row.latency = { avgMs: round(r.avgMs, 3), p50Ms: round(r.p50Ms, 3), p95Ms: round(r.p95Ms, 3), p99Ms: round(r.p99Ms, 3), p999Ms: round(r.p999Ms, 3), maxMs: round(r.maxMs, 3) };
      row.toolSeconds = round(r.elapsedMs / 1000, 2);
      row.extra = { ...row.extra, sent: r.sent, received: r.received };
    },
  );
}

/** W5: 20 MB/s of 1 KiB records over `partitions` partitions. */
export function w5(ctx: WorkloadContext, partitions: number): Promise<Row> {
  const seconds = ctx.sizes.w5DurationS;
  const records = W5_RATE * seconds;
  const topic = `bench-w5-${partitions}`;
  const row = newRow(ctx, `W5-${partitions}p`, `${partitions.toLocaleString('en-US')} partitions at 20 MB/s`, 'produce', {
    tool: 'ProducerPerformance',
    topic,
    partitions,
    records,
    recordSize: RECORD_SIZE,
    throughput: W5_RATE,
    producerProps: propsText(PRODUCER_PROPS),
  });
  return measure(
    ctx,
    row,
    {
      setup: () => ctx.createTopic(ctx.broker.bootstrap, topic, partitions),
      // A system that cannot keep up takes longer to send the fixed number of records
      // (Apache Kafka at 10,000 partitions manages a few MB/s on 2 cores): allow 10× the
      // planned time before calling it stuck.
      timeoutMs: 60_000 + seconds * 10_000,
      drain: true,
      clientBytes: () => (row.records ?? 0) * RECORD_SIZE,
    },
    async (hooks) => {
      const r = await ctx.tools.producerPerformance({ bootstrap: ctx.broker.bootstrap, topic, records, recordSize: RECORD_SIZE, throughput: W5_RATE, props: PRODUCER_PROPS }, hooks);
      fillProducer(row, r.total, r.elapsedMs);
    },
  );
}
