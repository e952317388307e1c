// The markdown report of a benchmark run: what ran where, one table row per workload and
// system, the partition-scaling table, and the issue's targets computed from this run.

import { PRICE_SOURCE } from './object-store.ts';
import type { Results, Row } from './types.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** Other processes using more than this many cores during a row get a warning mark. */
export const INTERFERENCE_CORES = 0.25;

export const WORKLOAD_ORDER = ['W1', 'W2', 'W3-hot', 'W3-cold', 'W4', 'W5-6p', 'W5-1000p', 'W5-10000p', 'W6-lz4', 'W6-zstd'];

export function sortRows(rows: readonly Row[], systems: readonly string[]): Row[] {
  const w = (r: Row): number => {
    const i = WORKLOAD_ORDER.indexOf(r.workload);
    return i < 0 ? WORKLOAD_ORDER.length : i;
  };
  return [...rows].sort((a, b) => w(a) - w(b) || systems.indexOf(a.system) - systems.indexOf(b.system));
}

function num(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function usd(n: number | undefined): string {
  if (n === undefined) return '–';
  if (n === 0) return '$0';
  return n >= 0.01 ? `$${n.toFixed(3)}` : `$${n.toPrecision(2)}`;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function notes(r: Row): string {
  const out: string[] = [];
  if (r.status !== 'ok') out.push(`**${r.status.toUpperCase()}**: ${(r.reason ?? '').slice(0, 160)}`);
  if (r.workload.startsWith('W3') && r.extra?.['groupJoinMs'] !== undefined) out.push(`group join ${r.extra['groupJoinMs']} ms (excluded)`);
  if (r.workload === 'W2' && r.params['throughput'] !== undefined) out.push(`target ${Number(r.params['throughput']).toLocaleString('en-US')} rec/s`);
  if (r.objectStore?.putsPerSec !== undefined && r.workload.startsWith('W5')) out.push(`${r.objectStore.putsPerSec} PUT/s`);
  if (r.otherCpuSeconds !== undefined && r.machineBusyCores !== undefined && r.toolSeconds) {
    const otherCores = r.otherCpuSeconds / Math.max(1, r.toolSeconds + (r.drainSeconds ?? 0));
    if (otherCores > INTERFERENCE_CORES) out.push(`⚠ other processes used ${otherCores.toFixed(2)} cores`);
  }
  return out.join('; ');
}

function resultsTable(results: Results, systems: readonly string[]): string[] {
  const lines = [
    '| Workload | System | MB/s | records/s | p50 ms | p99 ms | p99.9 ms | max ms | broker CPU s | broker peak RSS MiB | obj-store PUT/GiB | obj-store GET/GiB | request $/GiB | notes |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const r of sortRows(results.rows, systems)) {
    const os = r.objectStore;
    lines.push(
      `| ${r.workload} | ${r.system} | ${num(r.mbPerSec, 1)} | ${num(r.recordsPerSec, 0)} | ${num(r.latency?.p50Ms, 1)} | ${num(r.latency?.p99Ms, 1)} | ${num(r.latency?.p999Ms, 1)} | ${num(r.latency?.maxMs, 0)} | ${num(r.brokerCpuSeconds, 1)} | ${r.brokerPeakRssBytes ? num(r.brokerPeakRssBytes / MiB, 0) : '–'} | ${num(os?.putsPerGiB, 1)} | ${num(os?.getsPerGiB, 1)} | ${os ? usd(os.costPerGiBUsd.total) : '–'} | ${cell(notes(r))} |`,
    );
  }
  return lines;
}

function w5Table(results: Results, systems: readonly string[]): string[] {
  const rows = sortRows(
    results.rows.filter((r) => r.workload.startsWith('W5')),
    systems,
  ).sort((a, b) => systems.indexOf(a.system) - systems.indexOf(b.system));
  if (rows.length === 0) return [];
  const lines = [
    '| System | partitions | status | MB/s | p99 ms | broker peak RSS MiB | RSS before MiB | PUT/s | KiB/PUT | topic set-up s |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const os = r.objectStore;
    lines.push(
      `| ${r.system} | ${Number(r.params['partitions']).toLocaleString('en-US')} | ${r.status} | ${num(r.mbPerSec, 1)} | ${num(r.latency?.p99Ms, 0)} | ${r.brokerPeakRssBytes ? num(r.brokerPeakRssBytes / MiB, 0) : '–'} | ${r.brokerRssBeforeBytes ? num(r.brokerRssBeforeBytes / MiB, 0) : '–'} | ${num(os?.putsPerSec, 2)} | ${os?.bytesPerPut !== undefined ? num(os.bytesPerPut / 1024, 0) : '–'} | ${num(r.setupSeconds, 1)} |`,
    );
  }
  return lines;
}

interface Target {
  readonly name: string;
  readonly goal: string;
  readonly value: (stratus: string, kafka: string) => number | undefined;
  readonly ok: (v: number) => boolean;
  readonly format: (v: number) => string;
}

function find(rows: readonly Row[], system: string, workload: string): Row | undefined {
  const r = rows.find((x) => x.system === system && x.workload === workload);
  return r?.status === 'ok' ? r : undefined;
}

export function targets(rows: readonly Row[]): Target[] {
  const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  const x = (v: number): string => `${v.toFixed(2)}×`;
  return [
    { name: 'W1 produce MB/s, Stratus ÷ Kafka', goal: '≥ 1.0', value: (s, k) => ratio(find(rows, s, 'W1')?.mbPerSec, find(rows, k, 'W1')?.mbPerSec), ok: (v) => v >= 1, format: x },
    {
      name: 'W2 produce p99, Stratus ÷ Kafka',
      goal: '≤ 1.0',
      value: (s, k) => ratio(find(rows, s, 'W2')?.latency?.p99Ms, find(rows, k, 'W2')?.latency?.p99Ms),
      ok: (v) => v <= 1,
      format: x,
    },
    { name: 'W3 hot consume MB/s, Stratus ÷ Kafka', goal: '≥ 1.0', value: (s, k) => ratio(find(rows, s, 'W3-hot')?.mbPerSec, find(rows, k, 'W3-hot')?.mbPerSec), ok: (v) => v >= 1, format: x },
    { name: 'W3 cold ÷ hot (Stratus)', goal: '≥ 0.8', value: (s) => ratio(find(rows, s, 'W3-cold')?.mbPerSec, find(rows, s, 'W3-hot')?.mbPerSec), ok: (v) => v >= 0.8, format: x },
    { name: 'W4 end-to-end p99 (Stratus)', goal: '≤ 10 ms', value: (s) => find(rows, s, 'W4')?.latency?.p99Ms, ok: (v) => v <= 10, format: (v) => `${v.toFixed(1)} ms` },
    {
      name: 'W5 10,000 partitions MB/s ÷ 6 partitions (Stratus)',
      goal: '≥ 0.8',
      value: (s) => ratio(find(rows, s, 'W5-10000p')?.mbPerSec, find(rows, s, 'W5-6p')?.mbPerSec),
      ok: (v) => v >= 0.8,
      format: x,
    },
    {
      name: 'W5 10,000 partitions broker peak RSS (Stratus)',
      goal: '≤ 1 GiB',
      value: (s) => find(rows, s, 'W5-10000p')?.brokerPeakRssBytes,
      ok: (v) => v <= GiB,
      format: (v) => `${(v / MiB).toFixed(0)} MiB`,
    },
    {
      name: 'W5 PUT/s, 10,000 ÷ 6 partitions (Stratus)',
      goal: '≈ 1 (unchanged, ≤ 1.25)',
      value: (s) => ratio(find(rows, s, 'W5-10000p')?.objectStore?.putsPerSec, find(rows, s, 'W5-6p')?.objectStore?.putsPerSec),
      ok: (v) => v <= 1.25,
      format: x,
    },
  ];
}

/**
 * Each system that ran over SSL beside its PLAINTEXT self (kafka-ssl and kafka, stratus-ssl
 * and stratus): W1's throughput, latency and broker CPU seconds per GiB, SSL ÷ PLAINTEXT.
 * CPU per GiB is the figure a busy machine disturbs least (the work is the same).
 */
function tlsCost(rows: readonly Row[], ran: (id: string) => boolean): string[] {
  const out: string[] = [];
  const GiB = 1024 ** 3;
  const cpuPerGiB = (r: Row | undefined): number | undefined =>
    r?.brokerCpuSeconds !== undefined && r.records !== undefined && r.records > 0 ? r.brokerCpuSeconds / ((r.records * Number(r.params['recordSize'] ?? 1024)) / GiB) : undefined;
  const r2 = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v.toFixed(2)}×`);
  for (const plain of ['kafka', 'stratus']) {
    const ssl = `${plain}-ssl`;
    if (!ran(plain) || !ran(ssl)) continue;
    const a = find(rows, plain, 'W1');
    const b = find(rows, ssl, 'W1');
    if (a?.status !== 'ok' || b?.status !== 'ok') continue;
    const ratio = (x: number | undefined, y: number | undefined): number | undefined => (x !== undefined && y !== undefined && y > 0 ? x / y : undefined);
    if (out.length === 0) out.push('| System | MB/s | p99 ms | broker CPU s per GiB | MB/s SSL ÷ PLAINTEXT | p99 SSL ÷ PLAINTEXT | CPU per GiB SSL ÷ PLAINTEXT |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const c = (r: Row): string => (cpuPerGiB(r) === undefined ? 'n/a' : cpuPerGiB(r)!.toFixed(1));
    out.push(
      `| ${plain} / ${ssl} | ${a.mbPerSec?.toFixed(1) ?? 'n/a'} / ${b.mbPerSec?.toFixed(1) ?? 'n/a'} | ${a.latency?.p99Ms?.toFixed(0) ?? 'n/a'} / ${b.latency?.p99Ms?.toFixed(0) ?? 'n/a'} | ${c(a)} / ${c(b)} | ${r2(ratio(b.mbPerSec, a.mbPerSec))} | ${r2(ratio(b.latency?.p99Ms, a.latency?.p99Ms))} | ${r2(ratio(cpuPerGiB(b), cpuPerGiB(a)))} |`,
    );
  }
  return out;
}

export function renderMarkdown(results: Results, charts: readonly string[]): string {
  const systems = results.systems.map((s) => s.id);
  const m = results.machine;
  const out: string[] = [];
  out.push(`# Stratus vs Apache Kafka — ${results.date}${results.quick ? ' (quick)' : ''}`, '');
  out.push(
    `Machine: ${m['cpu']} × ${m['cores']}, ${m['memoryGiB']} GiB, ${m['kernel']}; data on ${m['dataFs']} (4 KiB write+fdatasync p50 ${m['fdatasyncP50Ms']} ms, p99 ${m['fdatasyncP99Ms']} ms); load average at start ${m['loadAverageAtStart']}.`,
  );
  out.push(`Versions: ${Object.entries(results.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`);
  if (results.durationSeconds !== undefined) out.push(`Duration: ${(results.durationSeconds / 60).toFixed(1)} min.`);
  out.push('', '## Systems', '');
  for (const s of results.systems) {
    const t = s.totalSeconds !== undefined ? ` (${s.totalSeconds.toFixed(0)} s)` : '';
    out.push(`- **${s.id}** — ${s.label}: ${s.settings}. **${s.status}**${t}${s.note ? `. ${s.note}` : ''}`);
  }
  out.push('', '## What ran', '');
  for (const line of describeWorkloads(results)) out.push(`- ${line}`);
  out.push('', '## Results', '', ...resultsTable(results, systems));
  const w5 = w5Table(results, systems);
  if (w5.length > 0) out.push('', '### W5: partitions at 20 MB/s', '', ...w5);
  const stratusIds = results.systems.filter((s) => s.id.startsWith('stratus') && s.status === 'ran').map((s) => s.id);
  const ran = (id: string): boolean => results.systems.some((s) => s.id === id && s.status === 'ran');
  // An SSL system is held against Kafka over SSL when that ran: the same setting on both sides.
  const kafkaFor = (id: string): string => (id.endsWith('-ssl') && ran('kafka-ssl') ? 'kafka-ssl' : 'kafka');
  if (stratusIds.length > 0) {
    out.push('', '## Targets of issue 5 §3 (this run)', '');
    out.push(`| Target | goal | ${stratusIds.join(' | ')} |`, `| --- | --- | ${stratusIds.map(() => '---:').join(' | ')} |`);
    for (const t of targets(results.rows)) {
      const cells = stratusIds.map((s) => {
        const v = t.value(s, kafkaFor(s));
        return v === undefined ? 'n/a' : `${t.format(v)} ${t.ok(v) ? '✅' : '❌'}`;
      });
      out.push(`| ${t.name} | ${t.goal} | ${cells.join(' | ')} |`);
    }
  }
  const tls = tlsCost(results.rows, ran);
  if (tls.length > 0) out.push('', '## The cost of TLS: W1 over SSL ÷ W1 over PLAINTEXT (this run)', '', ...tls);
  out.push('', '## How to read this', '');
  out.push(
    '- MB/s is 2^20 bytes per second of record payload, as Kafka\'s tools print it. W3 reports ConsumerPerformance\'s fetch.MB.sec, which excludes the consumer group join (shown in the notes: kafka-broker.sh sets group.initial.rebalance.delay.ms=0, stratus dev defaults to 0 from commit 1e1f636 on and to Kafka\'s broker default of 3 s before it).',
    '- Latency: W1, W2, W5, W6 are ProducerPerformance\'s send-to-acknowledgement times (W2: the steady state after its warm-up records); W4 is producer intended send time to consumer receipt at a fixed rate (coordinated omission corrected).',
    '- Broker CPU s: user+system CPU of the broker process (the JVM; node for Stratus) from just before the client started until it exited and, for Stratus, until its uploads finished. Peak RSS: VmRSS sampled every 200 ms over the same span. Both systems share 2 cores with the client tool.',
    `- Object-store requests per GiB are Stratus's own counters (/metrics: stratus_object_store_requests, stratus_object_store_bytes), per GiB of client payload produced (PUT) or consumed (GET). Request $/GiB prices them: ${PRICE_SOURCE}.`,
    '- Kafka has no object-store requests: its cost is disks (e.g. EBS) and replication traffic, which this benchmark does not model (out of scope), so only Stratus\'s request cost is shown.',
    `- ⚠ marks rows during which other processes on the machine used more than ${INTERFERENCE_CORES} cores (the numbers are then disturbed).`,
  );
  const failed = results.rows.filter((r) => r.status !== 'ok');
  if (failed.length > 0) {
    out.push('', '## Failures and skips', '');
    for (const r of failed) out.push(`- ${r.workload} on ${r.system}: ${r.status}: ${r.reason ?? ''}`);
  }
  if (charts.length > 0) {
    out.push('', '## Charts', '');
    for (const c of charts) out.push(`![${c}](${c})`);
  }
  return out.join('\n') + '\n';
}

function describeWorkloads(results: Results): string[] {
  const s = results.settings as {
    sizes: Record<string, number> & { w5Partitions?: readonly number[] };
    producerProps: string;
    e2eProps: string;
    toolJvm: string;
  };
  const z = s.sizes;
  const f = (n: number | undefined): string => (n ?? 0).toLocaleString('en-US');
  const w2 = results.rows.find((r) => r.workload === 'W2' && r.params['throughput'] !== undefined);
  return [
    `Client: Apache Kafka's own tools and Java client for every system (JVM ${s.toolJvm}); producer settings ${s.producerProps}, idempotence at its default (on).`,
    `W1: ProducerPerformance, ${f(z['w1Records'])} records × 1 KiB, 1 topic × 6 partitions, --throughput -1.`,
    `W2: ProducerPerformance at ${w2 ? `${f(Number(w2.params['throughput']))} records/s (${w2.params['rateSource']})` : '50% of Kafka\'s W1 records/s'}, ${z['w2WarmupS']} s warm-up + ${z['w2DurationS']} s measured.`,
    `W3: ConsumerPerformance (a new group, defaults) over W1's topic right after W1 (hot); for Stratus also after a restart on the same data directory (cold: memory caches empty, disk cache off by default, so reads come from the object store).`,
    `W4: FixedRateEndToEnd (test/bench/java), 1,000 msg/s × 1 KiB, ${z['w4WarmupS']} s warm-up + ${z['w4DurationS']} s measured, ${s.e2eProps}, consumer defaults.`,
    `W5: ProducerPerformance at 20 MB/s (20,480 records/s × 1 KiB) for ${z['w5DurationS']} s into a topic of ${(z.w5Partitions ?? [6, 1000, 10_000]).map((p) => f(p)).join(', ')} partitions (6 is the baseline; topics created 5,000 partitions at a time: KRaft refuses one operation over 10,000 records).`,
    `W6: W1 (${f(z['w6Records'])} records) with compression.type=lz4 and zstd.`,
    'Order per system: W1, W3 hot, W3 cold, W2, W4, W6, W5 (W5\'s big topics last so they do not weigh on the others). Each system runs alone on a fresh, empty data directory and is stopped before the next starts.',
  ];
}
