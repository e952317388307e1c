// What both benchmarks (run.ts, cluster.ts) say about where they ran: a command's output
// (synchronously, from the repository root), the machine, and the Stratus commit measured.

import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function sh(cmd: string, args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: (r.stderr ?? '').trim() };
}

export function machine(): { cpu: string; cores: number; memoryGiB: number; kernel: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 1024 ** 3), kernel: `Linux ${release()}` };
}

/** The commit measured, marked when libs/ or services/ hold uncommitted changes. */
export function stratusVersion(): string {
  const git = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain', '--', 'libs', 'services']).out !== '';
  return `${git.ok ? git.out : 'unknown'}${dirty ? ' (with uncommitted changes in libs/ or services/)' : ''}`;
}
