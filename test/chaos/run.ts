// npm run chaos [-- --seed N] [--minutes M] — the seeded fault campaign (issue 9 §5).
//
// A real `stratus dev` on MinIO behind a fault-injecting TCP proxy, idempotent acks=all
// producers (Kafka's Java client and kafkajs) and a kafkajs consumer group running
// throughout, and a schedule of faults drawn from the seed: SIGKILL and SIGTERM with restarts
// on the same data directory, object-store outages and slow periods, kills and stops during
// them. Then a clean stop, a start without the WAL, and the checks: every acknowledged
// record read back exactly once at its offset, in order, no duplicates, and the group's
// committed offsets never went backwards. See docs/chaos.md.
//
// With --cluster: the same clients and checks on a local cluster (Redis, MinIO behind the proxy,
// 2 controllers, 3 brokers as processes), with SIGKILLs and SIGTERMs of brokers and controllers,
// Redis restarts on its AOF and object-store outages (cluster-campaign.ts).
//
// Options: --cluster     the cluster campaign
//          --seed N      the schedule's seed (default: from the clock; printed first either way)
//          --minutes M   length of the fault window (default 5; fractions allowed)
//          --out DIR     where the results go (default test/chaos/results)
//          --no-save     print only, write no results
// Writes <out>/<date>-seed<N>-<M>min.json (the schedule as run, counts, checks) and .txt (the
// summary). Exit code 1 when a check failed; the summary then says how to replay the seed.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { REPO } from '../compat/support/process.ts';
import { replayCommand, runCampaign, summarize } from './campaign.ts';
import { replayClusterCommand, runClusterCampaign, summarizeCluster } from './cluster-campaign.ts';

// kafkajs 2.2.4 arms timers with negative delays (a TimeoutNegativeWarning on Node 24, harmless).
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.warn(`${w.name}: ${w.message}`);
});

const { values: opts } = parseArgs({
  options: {
    cluster: { type: 'boolean', default: false },
    seed: { type: 'string' },
    minutes: { type: 'string', default: '5' },
    out: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n\n')[0]!.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const seed = opts.seed === undefined ? Date.now() % 2 ** 32 >>> 0 : Number(opts.seed);
const minutes = Number(opts.minutes);
if (!Number.isSafeInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`--seed must be an integer in [0, 2^32), got ${opts.seed}`);
if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`--minutes must be a positive number, got ${opts.minutes}`);

const cluster = opts.cluster;
console.log(`chaos${cluster ? ' (cluster)' : ''}: seed ${seed}, ${minutes} min of faults (replay: ${cluster ? replayClusterCommand(seed, minutes) : replayCommand(seed, minutes)})`);

// MinIO, kcat (provision.sh) and the Java programs (compat-peers.sh, run by the campaign): idempotent, quick once done.
const provision = spawnSync('bash', [join(REPO, 'test/peers/provision.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
if (provision.status !== 0) process.exit(provision.status ?? 1);

const { report, summary } = cluster
  ? await runClusterCampaign({ seed, minutes }).then((r) => ({ report: r, summary: summarizeCluster(r) }))
  : await runCampaign({ seed, minutes }).then((r) => ({ report: r, summary: summarize(r) }));
console.log(`\n${summary}`);

if (!opts['no-save']) {
  const out = opts.out ?? join(REPO, 'test', 'chaos', 'results');
  mkdirSync(out, { recursive: true });
  const stem = `${report.startedAt.slice(0, 16).replace(':', '')}Z${cluster ? '-cluster' : ''}-seed${seed}-${minutes}min`;
  writeFileSync(join(out, `${stem}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, `${stem}.txt`), `${summary}\n`);
  console.log(`results: ${join(out, stem)}.{json,txt}`);
}
process.exit(report.ok ? 0 : 1);
