// npm run bench:cluster [-- --quick] — the cluster figures of issue 10 §6 (`npm run bench`
// runs them after the single-node comparison).
//
// Each part starts its own local cluster of real processes (test/cluster/lib: Redis with
// AOF, MinIO, 2 controllers, 3 brokers on loopback) and stops it afterwards:
//   moves     graceful partition moves (reassignPartitions while probe producers write)
//   failover  SIGKILL or SIGSTOP of the leader of an object-durable partition (default lease)
//   latency   produce percentiles of an object-durable topic, acks=all, MinIO behind a proxy
//             adding a seeded uniform 30-80 ms to every PUT (and MinIO directly, the baseline)
//   scaling   produce throughput of 3 brokers vs 1, CPU seconds per GiB of every process
//
// Writes test/bench/results/<date>-cluster[-quick].json and .md (also printed).
//
// Options: --quick          fewer rounds, shorter runs (~4 minutes instead of ~9)
//          --parts a,b      a subset of moves, failover, latency, scaling
//          --out DIR        results directory (default test/bench/results)

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT, machine, sh, stratusVersion } from './lib/host.ts';
import { KafkaTools } from './lib/kafka-tools.ts';
import { loadAverage } from './lib/proc.ts';
import { measureProduceLatency } from './cluster/latency.ts';
import type { LatencyCase } from './cluster/latency.ts';
import { measureFailovers, measureGracefulMoves } from './cluster/moves.ts';
import { PROBE_CLIENT } from './cluster/probe-producer.ts';
import { renderClusterMarkdown } from './cluster/report.ts';
import type { ClusterBenchResults } from './cluster/report.ts';
import { measureScaling } from './cluster/scaling.ts';

const PARTS = ['moves', 'failover', 'latency', 'scaling'] as const;

process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.warn(`${w.name}: ${w.message}`);
});

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    parts: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n\n')[0]!.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}
const quick = opts.quick;
const parts = new Set((opts.parts ?? PARTS.join(',')).split(',').map((p) => p.trim()));
for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--parts: unknown part ${p} (known: ${PARTS.join(', ')})`);

const SIZES = quick
  ? { moveRounds: 8, failoversKill: 3, failoversFreeze: 1, latencyWarmupS: 5, latencyS: 20, latencyRate: 2000, scalingRecords: 300_000 }
  : { moveRounds: 20, failoversKill: 9, failoversFreeze: 3, latencyWarmupS: 10, latencyS: 45, latencyRate: 2000, scalingRecords: 600_000 };
const PUT_LATENCY: readonly [number, number] = [30, 80];


async function main(): Promise<number> {
  const startDate = new Date();
  const stamp = `${startDate.toISOString().slice(0, 16).replace(':', '')}Z-cluster${quick ? '-quick' : ''}`;
  const log = (line: string): void => console.log(line);
  log(`# Stratus cluster figures — ${startDate.toISOString()}${quick ? ' (quick)' : ''}`);
  const load = loadAverage();
  if (load[0]! > 0.5) log(`⚠ load average is ${load.join(' ')} before the benchmark starts: other processes are running and will disturb the numbers`);
  for (const script of ['provision.sh', 'kafka.sh']) {
    const r = sh('bash', [join(ROOT, 'test', 'peers', script)]);
    if (!r.ok) {
      console.error(`test/peers/${script} failed:\n${r.err}`);
      return 1;
    }
  }
  const kafkaHome = sh('bash', [join(ROOT, 'test', 'peers', 'kafka.sh')]).out.split('\n').pop()!;
  const classes = sh('bash', [join(ROOT, 'test', 'peers', 'kafka-java.sh'), join(ROOT, 'test', 'bench', 'java')]);
  if (!classes.ok) {
    console.error(`could not compile test/bench/java:\n${classes.err}`);
    return 1;
  }
  const tools = new KafkaTools(ROOT, classes.out.split('\n').pop()!);
  const results: ClusterBenchResults = {
    date: startDate.toISOString(),
    quick,
    machine: {
      ...machine(),
      loadAverageAtStart: load.join(' '),
    },
    versions: {
      Stratus: stratusVersion(),
      Node: process.version,
      'Apache Kafka client tools': readFileSync(join(kafkaHome, 'VERSION'), 'utf8').trim(),
      MinIO: sh('minio', ['--version']).out.split('\n')[0] ?? 'unknown',
      Redis: sh('redis-server', ['--version']).out,
    },
    topology: 'Redis (AOF, appendfsync always), MinIO, 2 controllers, 3 brokers (racks a/b/c), each a process on loopback, all on this machine',
    probeClient: PROBE_CLIENT,
    putLatencyMs: PUT_LATENCY,
    moves: [],
    failovers: [],
    latency: [],
    scaling: [],
  };
  const outDir = opts.out ?? join(ROOT, 'test', 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const save = (): void => writeFileSync(join(outDir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const t0 = performance.now();

  if (parts.has('moves')) {
    log(`\n## graceful moves: ${SIZES.moveRounds} rounds of 3 (rotations of a 3-partition topic, local and object in turn)`);
    results.moves.push(...(await measureGracefulMoves({ rounds: SIZES.moveRounds, log })));
    save();
  }
  if (parts.has('failover')) {
    for (const [fault, rounds] of [['SIGKILL', SIZES.failoversKill], ['SIGSTOP', SIZES.failoversFreeze]] as const) {
      log(`\n## failover of object-durable partitions, default broker lease 6 s: ${rounds} × ${fault} of a leader`);
      results.failovers.push(...(await measureFailovers({ rounds, fault, log })).map((s) => ({ ...s, fault })));
      save();
    }
  }
  if (parts.has('latency')) {
    log(`\n## produce latency, object-durable topic, acks=all, ${SIZES.latencyRate} records/s of 1 KiB, ${SIZES.latencyWarmupS} s warm-up + ${SIZES.latencyS} s`);
    const cases: LatencyCase[] = [
      { label: 'MinIO directly (loopback)', putLatencyMs: undefined, brokerEnv: {} },
      { label: `MinIO + ${PUT_LATENCY[0]}-${PUT_LATENCY[1]} ms per PUT`, putLatencyMs: PUT_LATENCY, brokerEnv: {} },
      // Two PUTs at once (committed in order): due data does not wait behind the PUT in flight, at the price of more, smaller objects.
      { label: `MinIO + ${PUT_LATENCY[0]}-${PUT_LATENCY[1]} ms per PUT`, putLatencyMs: PUT_LATENCY, brokerEnv: { STRATUS_UPLOAD_MAX_CONCURRENT: '2' } },
    ];
    results.latency.push(...(await measureProduceLatency({ tools, cases, rate: SIZES.latencyRate, warmupS: SIZES.latencyWarmupS, durationS: SIZES.latencyS, log })));
    save();
  }
  if (parts.has('scaling')) {
    log(`\n## throughput, 1 vs 3 brokers, ${SIZES.scalingRecords.toLocaleString('en-US')} records of 1 KiB unthrottled, 6 partitions`);
    results.scaling.push(...(await measureScaling({ tools, brokerCounts: [1, 3], durability: 'local', records: SIZES.scalingRecords, log })));
    save();
  }
  results.durationSeconds = Math.round((performance.now() - t0) / 1000);
  save();
  const md = renderClusterMarkdown(results);
  writeFileSync(join(outDir, `${stamp}.md`), md);
  log(`\n${md}`);
  log(`wrote ${join(outDir, stamp)}.{json,md}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
