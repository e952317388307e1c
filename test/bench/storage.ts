// npm run bench:storage [-- --quick]: the storage benchmarks of issue 3, one after the
// other so none disturbs another: the WAL against the raw disk, the uploader's PUT rate,
// and cold reads from MinIO through the block cache against plain GETs. Each prints its
// own table with the machine and the reference measured in the same run.

import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const extra = process.argv.slice(2);
const benches = ['libs/wal/bench/wal.bench.ts', 'libs/storage/bench/uploader.bench.ts', 'libs/storage/bench/cache.bench.ts'];

console.log(`# Stratus storage benchmarks — ${new Date().toISOString()}`);
console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}`);
let failed = 0;
for (const bench of benches) {
  const r = spawnSync(process.execPath, ['--expose-gc', join(root, bench), ...extra], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`${bench} exited with ${r.status ?? r.signal}`);
    failed++;
  }
}
process.exit(failed === 0 ? 0 : 1);
