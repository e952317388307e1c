// npm run bench [-- --quick] — Stratus side by side with Apache Kafka (issue 5, §1–2).
//
// Provisions Apache Kafka from Maven Central (test/peers/kafka.sh, cached), compiles the
// fixed-rate end-to-end program (test/bench/java, cached), then for each system in turn —
// Apache Kafka (one KRaft node, its defaults), `stratus dev` (its defaults), and Stratus with
// fsync relaxed (wal.syncWrites=false) — starts it fresh on an empty data directory,
// runs the workloads W1–W6 with Kafka's own client tools and identical client settings,
// and stops it before the next system starts. Each row records MB/s, records/s, latency
// percentiles, broker CPU seconds, broker peak RSS and, for Stratus, object-store requests
// per GiB; a failing workload is recorded with its reason and the run goes on.
//
// Writes test/bench/results/<date>[-quick].json and .md (the table is also printed) and
// PNG charts (throughput, latency, cost per GiB).
//
// Options: --quick            the ~3-minute version (W1 300k records instead of 2M, shorter fixed-rate runs,
//                             W5 at 6 and 10,000 partitions only)
//          --systems a,b      a subset of kafka, stratus, stratus-relaxed, stratus-traced (the last only
//                             when named: tracing on, spans exported over OTLP/HTTP to a sink in this
//                             process, at BENCH_TRACING_RATIO, default 0.1 — issue 12 §2's figure),
//                             kafka-ssl, stratus-ssl (only when named: W1 over an SSL listener, the
//                             cost of TLS — issue 13; lib/tls.ts)
//          --workloads W1,W3  a subset (W3 needs W1; W2 takes its rate from Kafka's W1 unless --w2-rate)
//          --w2-rate N        W2's rate in records/s (default: half of Kafka's W1 in this run)
//          --out DIR          results directory (default test/bench/results)
//          --render FILE      only redo the markdown and charts of an earlier FILE.json (next to it)
//          --no-cluster       skip the cluster figures (test/bench/cluster.ts, npm run bench:cluster), which
//                             otherwise run afterwards (with --quick when given) unless --systems or
//                             --workloads chose a subset
// Env:     BENCH_STRATUS_RELAXED_ENV  "STRATUS_X=v STRATUS_Y=w": the settings of the stratus-relaxed
//                            system (default STRATUS_WAL_SYNC_WRITES=false: no fdatasync per ack)
//          BENCH_DIR          where data directories go (default: the system temp dir)

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createTopic } from './lib/admin.ts';
import { killBrokers, startBroker } from './lib/brokers.ts';
import type { Broker, SystemSpec } from './lib/brokers.ts';
import { renderCharts } from './lib/charts.ts';
import { killAll } from './lib/exec.ts';
import { startOtlpSink } from './lib/otlp-sink.ts';
import { makeBenchTls } from './lib/tls.ts';
import { KafkaTools, TOOL_HEAP_OPTS, TOOL_JVM_OPTS } from './lib/kafka-tools.ts';
import { PRICE_SOURCE } from './lib/object-store.ts';
import { ROOT, machine, sh, stratusVersion } from './lib/host.ts';
import { loadAverage } from './lib/proc.ts';
import { renderMarkdown } from './lib/report.ts';
import type { Results, Row, SystemResult } from './lib/types.ts';
import { E2E_PROPS, PRODUCER_PROPS, SIZES, round, w1, w2, w3, w4, w5, w6 } from './lib/workloads.ts';
import type { WorkloadContext } from './lib/workloads.ts';


// kafkajs 2.2.4 (the topic set-up client) arms a timer with a negative delay when it is not
// throttled, which Node 24 reports as a TimeoutNegativeWarning (and runs after 1 ms, which is
// what kafkajs means). Every other warning is still printed.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.warn(`${w.name}: ${w.message}`);
});

const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    systems: { type: 'string' },
    workloads: { type: 'string' },
    'w2-rate': { type: 'string' },
    out: { type: 'string' },
    render: { type: 'string' },
    'no-cluster': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n\n')[0]!.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

if (opts.render !== undefined) {
  const file = opts.render;
  const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const stem = basename(file).replace(/\.json$/, '');
  const charts = await renderCharts(results, dirname(file), stem);
  for (const e of charts.errors) console.error(`chart failed: ${e}`);
  const md = renderMarkdown(results, charts.files);
  writeFileSync(join(dirname(file), `${stem}.md`), md);
  console.log(md);
  process.exit(charts.errors.length === 0 ? 0 : 1);
}

const quick = opts.quick;
const sizes = SIZES[quick ? 'quick' : 'full'];
const wanted = new Set((opts.workloads ?? WORKLOADS.join(',')).split(',').map((w) => w.trim().toUpperCase()));
const outDir = opts.out ?? join(ROOT, 'test', 'bench', 'results');
const started = performance.now();
const startDate = new Date();
const stamp = `${startDate.toISOString().slice(0, 16).replace(':', '')}Z${quick ? '-quick' : ''}`;


// ---- the systems -----------------------------------------------------------------------

/** A Stratus setting that relaxes its WAL fsync, if the config schema has one that looks like it. */
function parseEnv(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const env: Record<string, string> = {};
  for (const pair of text.trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

// Stratus's relaxed variant: wal.syncWrites=false acknowledges once the WAL write reaches the
// OS, without fdatasync (what Kafka does by default). BENCH_STRATUS_RELAXED_ENV replaces it.
const relaxedEnv = parseEnv(process.env['BENCH_STRATUS_RELAXED_ENV']) ?? { STRATUS_WAL_SYNC_WRITES: 'false' };
// Stratus with tracing on: spans of every sampled produce request exported to a sink here.
const tracingRatio = process.env['BENCH_TRACING_RATIO'] ?? '0.1';
const otlpSink = await startOtlpSink();
/** Systems run only when --systems names them. */
const OPT_IN = new Set(['stratus-traced', 'kafka-ssl', 'stratus-ssl']);
const systemFilter = opts.systems?.split(',').map((s) => s.trim());
// The SSL systems' CA and broker certificate (lib/tls.ts), made only when one of them runs.
const tls = systemFilter?.some((s) => s.endsWith('-ssl')) === true ? makeBenchTls(mkdtempSync(join(tmpdir(), 'stratus-bench-tls-'))) : undefined;
const SSL_SETTINGS = 'its listener over TLS (SSL: TLS 1.3, a 2048-bit RSA certificate made by openssl, PEM files), clients with security.protocol=SSL and a PEM truststore; no client certificates; W1 only';
const SYSTEMS: SystemSpec[] = [
  {
    id: 'kafka',
    kind: 'kafka',
    label: 'Apache Kafka (single KRaft node: broker + controller in one JVM)',
    settings:
      "Kafka's defaults (no fsync per write: flushing is left to the OS page cache), started by test/peers/kafka-broker.sh with heap -Xms256m -Xmx1g and G1",
    env: {},
  },
  {
    id: 'stratus',
    kind: 'stratus',
    label: '`stratus dev` (controller, broker and storage in one node process)',
    settings:
      'its defaults: WAL fdatasync before every acknowledgement (group commit), uploads to a file:// object store under its data directory, 256 MiB memory block cache, disk cache off; log level warn',
    env: { STRATUS_LOG_LEVEL: 'warn' },
  },
  {
    id: 'stratus-relaxed',
    kind: 'stratus',
    label: '`stratus dev` with fsync relaxed',
    settings: `as stratus, plus ${Object.entries(relaxedEnv)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}: acknowledges once the WAL write reaches the OS, without fdatasync, as Kafka does by default (a machine crash can lose what is not uploaded yet; a killed process loses nothing)`,
    env: { STRATUS_LOG_LEVEL: 'warn', ...relaxedEnv },
  },
  {
    id: 'stratus-traced',
    kind: 'stratus',
    label: '`stratus dev` with tracing on',
    settings: `as stratus, plus OpenTelemetry tracing exporting over OTLP/HTTP (protobuf) to a sink in the benchmark process, sampling ratio ${tracingRatio} (STRATUS_TRACING_SAMPLING_RATIO; BENCH_TRACING_RATIO sets it)`,
    env: { STRATUS_LOG_LEVEL: 'warn', STRATUS_TRACING_OTLP_ENDPOINT: otlpSink.url, STRATUS_TRACING_SAMPLING_RATIO: tracingRatio },
  },
  {
    id: 'kafka-ssl',
    kind: 'kafka',
    label: 'Apache Kafka over SSL',
    settings: `as kafka, plus ${SSL_SETTINGS}; ssl.keystore.type=PEM, ssl.truststore.type=PEM`,
    env: tls !== undefined ? { KAFKA_BROKER_PROPS: tls.kafkaBrokerProps } : {},
    ...(tls !== undefined ? { clientProps: tls.clientProps, kafkajsSsl: tls.kafkajsSsl } : {}),
    workloads: ['W1'],
  },
  {
    id: 'stratus-ssl',
    kind: 'stratus',
    label: '`stratus dev` over SSL',
    settings: `as stratus, plus ${SSL_SETTINGS}; kafka.listenerSecurityProtocolMap PLAINTEXT:SSL, kafka.ssl.certFile/keyFile`,
    env: { STRATUS_LOG_LEVEL: 'warn', ...tls?.stratusEnv },
    ...(tls !== undefined ? { clientProps: tls.clientProps, kafkajsSsl: tls.kafkajsSsl } : {}),
    workloads: ['W1'],
  },
];

// ---- machine and versions --------------------------------------------------------------

function fdatasyncProbe(dir: string): { p50: number; p99: number } {
  const file = join(dir, 'fsync-probe');
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(4096, 7);
  const times: number[] = [];
  try {
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      writeSync(fd, buf, 0, buf.length, i * buf.length);
      fdatasyncSync(fd);
      times.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  times.sort((a, b) => a - b);
  return { p50: round(times[Math.floor(times.length * 0.5)]!, 3), p99: round(times[Math.floor(times.length * 0.99)]!, 3) };
}

function filesystemOf(path: string): string {
  const r = sh('df', ['-PT', path]);
  const line = r.out.split('\n')[1]?.split(/\s+/);
  return line ? `${line[1]} (${line[0]})` : 'unknown';
}

// ---- the run ---------------------------------------------------------------------------

async function main(): Promise<number> {
  console.log(`# Stratus vs Apache Kafka — ${startDate.toISOString()}${quick ? ' (quick)' : ''}`);
  const load = loadAverage();
  if (load[0]! > 0.5) console.log(`⚠ load average is ${load.join(' ')} before the benchmark starts: other processes are running and will disturb the numbers`);

  console.log('provisioning Apache Kafka (test/peers/kafka.sh) …');
  const kafka = sh('bash', [join(ROOT, 'test', 'peers', 'kafka.sh')]);
  if (!kafka.ok) {
    console.error(`could not provision Apache Kafka:\n${kafka.err}`);
    return 1;
  }
  const kafkaHome = kafka.out.split('\n').pop()!;
  const classes = sh('bash', [join(ROOT, 'test', 'peers', 'kafka-java.sh'), join(ROOT, 'test', 'bench', 'java')]);
  if (!classes.ok) {
    console.error(`could not compile test/bench/java:\n${classes.err}`);
    return 1;
  }
  const tools = new KafkaTools(ROOT, classes.out.split('\n').pop()!);

  const baseDir = mkdtempSync(join(process.env['BENCH_DIR'] ?? tmpdir(), 'stratus-bench-'));
  const probe = fdatasyncProbe(baseDir);
  const javaVersion = sh('java', ['-version']).err.split('\n')[0] ?? 'unknown';
  const results: Results = {
    date: startDate.toISOString(),
    quick,
    machine: {
      ...machine(),
      dataDir: baseDir,
      dataFs: filesystemOf(baseDir),
      fdatasyncP50Ms: probe.p50,
      fdatasyncP99Ms: probe.p99,
      loadAverageAtStart: load.join(' '),
    },
    versions: {
      'Apache Kafka': readFileSync(join(kafkaHome, 'VERSION'), 'utf8').trim(),
      Stratus: stratusVersion(),
      Node: process.version,
      Java: javaVersion.replace(/"/g, ''),
    },
    settings: {
      sizes,
      recordSize: 1024,
      producerProps: Object.entries(PRODUCER_PROPS).map(([k, v]) => `${k}=${v}`).join(' '),
      e2eProps: Object.entries(E2E_PROPS).map(([k, v]) => `${k}=${v}`).join(' '),
      toolJvm: `${TOOL_HEAP_OPTS} ${TOOL_JVM_OPTS}`,
      workloads: [...wanted],
    },
    systems: [],
    rows: [],
    priceTable: PRICE_SOURCE,
  };
  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, `${stamp}.json`);
  const save = (): void => writeFileSync(jsonFile, JSON.stringify(results, null, 2) + '\n');

  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping the brokers and tools this run started`);
    killAll();
    killBrokers();
    save();
    rmSync(baseDir, { recursive: true, force: true });
    if (tls !== undefined) rmSync(tls.dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  console.log(
    `sizes: W1 ${sizes.w1Records.toLocaleString('en-US')} records; W2 ${sizes.w2WarmupS}+${sizes.w2DurationS} s; W4 ${sizes.w4WarmupS}+${sizes.w4DurationS} s; W5 ${sizes.w5DurationS} s at ${sizes.w5Partitions.join(', ')} partitions; W6 ${sizes.w6Records.toLocaleString('en-US')} records per codec`,
  );

  let kafkaW1: Row | undefined;
  const fixedW2 = opts['w2-rate'] !== undefined ? Number(opts['w2-rate']) : undefined;

  for (const spec of SYSTEMS) {
    const sys: SystemResult = { id: spec.id, label: spec.label, settings: spec.settings, env: spec.env, status: 'ran' };
    results.systems.push(sys);
    if (systemFilter !== undefined ? !systemFilter.includes(spec.id) : OPT_IN.has(spec.id)) {
      sys.status = 'skipped';
      sys.note = systemFilter !== undefined ? 'not selected (--systems)' : 'runs only when --systems names it';
      continue;
    }
    console.log(`\n## ${spec.id}: ${spec.label}`);
    const t0 = performance.now();
    let broker: Broker;
    try {
      broker = await startBroker(spec, ROOT, baseDir);
    } catch (e) {
      sys.status = 'failed to start';
      sys.note = e instanceof Error ? e.message : String(e);
      console.log(`  could not start: ${sys.note}`);
      save();
      continue;
    }
    sys.startSeconds = round((performance.now() - t0) / 1000, 1);
    console.log(`  started in ${sys.startSeconds} s (pid ${broker.pid}, ${broker.bootstrap})`);

    let ownW1: Row | undefined;
    const ctx: WorkloadContext = {
      broker,
      tools,
      sizes,
      createTopic: (bootstrap, topic, partitions) => createTopic(bootstrap, topic, partitions, undefined, spec.kafkajsSsl),
      ...(spec.clientProps !== undefined ? { clientProps: spec.clientProps } : {}),
      w2Rate: () => {
        if (fixedW2 !== undefined) return { rate: fixedW2, source: 'given with --w2-rate' };
        if (kafkaW1?.status === 'ok' && kafkaW1.recordsPerSec) return { rate: Math.round(kafkaW1.recordsPerSec / 2), source: "50% of Kafka's W1 in this run" };
        if (ownW1?.status === 'ok' && ownW1.recordsPerSec) return { rate: Math.round(ownW1.recordsPerSec / 2), source: `50% of ${spec.id}'s own W1 (Kafka's W1 did not run or failed)` };
        return undefined;
      },
      onRow: (row) => {
        results.rows.push(row);
        save();
      },
    };

    // A broker that died in one workload is replaced by a fresh one (empty data directory)
    // for the next, so one crash costs one row, not the rest of the system's run.
    let generation = 0;
    const restarts: string[] = [];
    const ensureBroker = async (next: string): Promise<void> => {
      if (ctx.broker.isAlive()) return;
      console.log(`  [${spec.id}] the broker is gone; starting a fresh one for ${next}`);
      try {
        await ctx.broker.stop();
      } catch {
        // it is dead already; its data directory may remain until the end
      }
      try {
        ctx.broker = await startBroker(spec, ROOT, baseDir);
        generation++;
        restarts.push(`before ${next}`);
      } catch (e) {
        restarts.push(`before ${next}: could not start (${e instanceof Error ? e.message : String(e)})`);
      }
    };

    // A system may run fewer workloads than were asked for (the SSL systems: W1).
    const runs = new Set([...wanted].filter((w) => spec.workloads === undefined || spec.workloads.includes(w)));
    try {
      let w1Generation = -1;
      if (runs.has('W1') || runs.has('W3')) {
        ownW1 = await w1(ctx);
        w1Generation = generation;
        if (spec.id === 'kafka') kafkaW1 = ownW1;
      }
      if (runs.has('W3')) {
        const lost = (): string | undefined => (generation !== w1Generation ? "the broker that held W1's data died and was replaced by a fresh one" : undefined);
        await ensureBroker('W3-hot');
        await w3(ctx, 'hot', ownW1, lost());
        if (spec.kind === 'stratus') {
          await ensureBroker('W3-cold');
          await w3(ctx, 'cold', ownW1, lost());
        }
      }
      if (runs.has('W2')) {
        await ensureBroker('W2');
        await w2(ctx);
      }
      if (runs.has('W4')) {
        await ensureBroker('W4');
        await w4(ctx);
      }
      if (runs.has('W6')) {
        for (const codec of ['lz4', 'zstd'] as const) {
          await ensureBroker(`W6-${codec}`);
          await w6(ctx, codec);
        }
      }
      if (runs.has('W5')) {
        for (const p of sizes.w5Partitions) {
          await ensureBroker(`W5-${p}p`);
          await w5(ctx, p);
        }
      }
    } catch (e) {
      // The workloads record their own failures; this is a harness bug, recorded all the same.
      sys.note = `harness error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
      console.error(`  ${sys.note}`);
    }
    if (restarts.length > 0) sys.note = `${sys.note ? `${sys.note}; ` : ''}the broker died and was started afresh ${restarts.join(', ')}`;
    try {
      const stopped = await ctx.broker.stop();
      if (spec.env['STRATUS_TRACING_OTLP_ENDPOINT'] !== undefined) {
        // Counted once the broker has stopped (it exports what is still queued on its way out).
        const exported = otlpSink.stats();
        const what = `spans exported: ${exported.requests} OTLP requests, ${(exported.bytes / 1024 / 1024).toFixed(1)} MiB`;
        sys.note = `${sys.note ? `${sys.note}; ` : ''}${what}`;
        console.log(`  ${what}`);
      }
      // Whatever the system left dirty in the page cache is written back now, not while
      // the next system is being measured.
      const t2 = performance.now();
      spawnSync('sync', [], { timeout: 120_000 });
      console.log(
        `  stopped in ${stopped.stopSeconds.toFixed(1)} s, data removed in ${stopped.removeSeconds.toFixed(1)} s, sync ${((performance.now() - t2) / 1000).toFixed(1)} s`,
      );
    } catch (e) {
      console.error(`  stopping ${spec.id} failed: ${String(e)}`);
    }
    sys.totalSeconds = round((performance.now() - t0) / 1000, 1);
    console.log(`  ${spec.id} took ${sys.totalSeconds} s in all`);
    save();
  }

  rmSync(baseDir, { recursive: true, force: true });
  if (tls !== undefined) rmSync(tls.dir, { recursive: true, force: true });
  results.durationSeconds = round((performance.now() - started) / 1000, 1);

  const charts = await renderCharts(results, outDir, stamp);
  for (const e of charts.errors) console.error(`chart failed: ${e}`);
  const md = renderMarkdown(results, charts.files);
  writeFileSync(join(outDir, `${stamp}.md`), md);
  save();
  console.log(`\n${md}`);
  const rel = (f: string): string => relative(process.cwd(), join(outDir, f));
  console.log(`wrote ${rel(`${stamp}.json`)}, ${rel(`${stamp}.md`)}${charts.files.map((f) => `, ${rel(f)}`).join('')}`);
  console.log(`total ${(results.durationSeconds / 60).toFixed(1)} min`);
  return existsSync(jsonFile) ? 0 : 1;
}

/** The cluster figures (issue 10 §6) after the single-node comparison, in their own process. */
function clusterFigures(code: number): number {
  if (opts['no-cluster'] || opts.systems !== undefined || opts.workloads !== undefined) return code;
  console.log('\nthe cluster figures: node test/bench/cluster.ts (npm run bench:cluster)');
  const r = spawnSync(process.execPath, [join(ROOT, 'test', 'bench', 'cluster.ts'), ...(quick ? ['--quick'] : []), ...(opts.out !== undefined ? ['--out', opts.out] : [])], { stdio: 'inherit' });
  return code !== 0 ? code : (r.status ?? 1);
}

main().then(
  (code) => process.exit(clusterFigures(code)),
  (e: unknown) => {
    console.error(e);
    killAll();
    killBrokers();
    process.exit(1);
  },
);
