// `stratus admin` run as an operator runs it, for tests: the real command as a process,
// with the test's own STRATUS_* variables left out (a test names what admin is given).

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRATUS_NODE_FLAGS } from '../../support/stratus-process.ts';

export const STRATUS_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'services', 'cli', 'src', 'main.ts');

export interface AdminRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `stratus admin ARGS` as a process; STRATUS_* of the test's environment left out, `env` added. */
export function stratusAdmin(args: readonly string[], env: Record<string, string> = {}): Promise<AdminRun> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATUS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [...STRATUS_NODE_FLAGS, STRATUS_MAIN, 'admin', ...args], { env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

/** The run's stdout as one JSON document (the test fails with its output when it is not). */
export function adminJson<T>(run: AdminRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
