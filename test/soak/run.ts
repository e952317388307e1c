// npm run soak [-- --minutes M] [--seed N] — the soak test (issue 9 §3).
//
// A real `stratus dev` (test/soak/lib/settings.ts: retention every 5 s, 2-minute topics,
// offsets of empty groups expiring after 1 minute, compaction every 10 s, 256 KiB objects,
// 4 MiB WAL segments) under produce/consume traffic with group churn, topic
// create/produce/consume/delete cycles and groups that come and go for good
// (lib/workload.ts), sampled every 7 s: RSS, heap, open file descriptors, connections, WAL
// bytes, the controller's index (extents, partitions, objects, offsets, groups), the
// coordinator's groups, the objects on disk (lib/sampler.ts). After the warm-up (the first
// third) every judged series must stay flat: the last third's mean within a tolerance of
// the middle third's (lib/judge.ts). Then the clients stop and the quiesced process must
// hold nothing of the churn (no connection, no extra descriptor, the WAL trimmed, no
// partition of a deleted topic).
//
// Options: --minutes M        length of the run (default 30; fractions allowed)
//          --seed N           the schedule's seed (default: from the clock; printed either way)
//          --short            the lighter profile of the minute inside `npm test`
//          --out DIR          results directory (default test/soak/results)
//          --no-save          print only, write no results
//          --keep-data        leave the process's data directory in place
//          --heap-snapshots   write V8 heap snapshots of the process (at a third, two thirds and the end of the
//                             run) to a temporary directory; compare two with test/soak/heap-diff.ts
// Writes <out>/<date>-<M>min.json (settings, every sample, figures, checks) and .md (the
// report, also printed). Exit code 1 when a series grows or a check fails.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderMarkdown, verdictLine } from './lib/report.ts';
import { FULL_PROFILE, SHORT_PROFILE } from './lib/settings.ts';
import { runSoak } from './lib/soak.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// kafkajs 2.2.4 arms timers with negative delays (a TimeoutNegativeWarning on Node 24, harmless).
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.warn(`${w.name}: ${w.message}`);
});

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string' },
    short: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
    'heap-snapshots': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opts.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n\n')[0]!.replace(/^\/\/ ?/gm, ''));
  process.exit(0);
}

const minutes = Number(opts.minutes);
if (!(minutes > 0)) {
  console.error(`--minutes must be a positive number, got ${opts.minutes}`);
  process.exit(2);
}
const seed = opts.seed === undefined ? Date.now() % 2 ** 31 : Number(opts.seed);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got ${opts.seed}`);
  process.exit(2);
}
const outDir = opts.out ?? join(ROOT, 'test', 'soak', 'results');
const stamp = `${new Date().toISOString().slice(0, 16).replace(':', '')}Z-${Number.isInteger(minutes) ? minutes : minutes.toFixed(1)}min${opts.short ? '-short' : ''}`;

function git(args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

async function main(): Promise<number> {
  console.log(`# soak: ${minutes} min, seed ${seed}${opts.short ? ' (short profile)' : ''}`);
  const result = await runSoak({
    durationMs: minutes * 60_000,
    seed,
    profile: opts.short ? SHORT_PROFILE : FULL_PROFILE,
    log: (line) => console.log(line),
    keepData: opts['keep-data'],
    // Snapshots are about twice the heap each: not for the repository.
    ...(opts['heap-snapshots'] ? { heapSnapshotDir: join(tmpdir(), `stratus-soak-heap-${stamp}`) } : {}),
  });
  const dirty = git(['status', '--porcelain', '--', 'libs', 'services']) !== '';
  const info = {
    commit: `${git(['rev-parse', '--short', 'HEAD']) || 'unknown'}${dirty ? ' (with uncommitted changes in libs/ or services/)' : ''}`,
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Linux ${release()}`,
    node: `Node ${process.version}`,
  };
  const md = renderMarkdown(result, info);
  console.log(`\n${md}`);
  if (!opts['no-save']) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, `${stamp}.json`), JSON.stringify({ ...result, info }, null, 1) + '\n');
    writeFileSync(join(outDir, `${stamp}.md`), md);
    console.log(`wrote ${relative(process.cwd(), join(outDir, `${stamp}.md`))} and .json`);
  }
  if (opts['keep-data']) console.log(`data kept in ${result.dataDir}`);
  const verdict = verdictLine(result);
  console.log(verdict);
  return verdict.startsWith('PASS') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
