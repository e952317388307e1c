// Child processes of the benchmark: each runs in its own process group with a hard time
// limit, and every one still running is killed (by its own group id, nothing else) when the
// harness is interrupted.

import { spawn } from 'node:child_process';

const running = new Set<number>();

/** Kills the process groups the harness started and that are still running. */
export function killAll(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs: number;
  /** Called with the child's pid once it runs (kafka-run.sh execs java, so it is the JVM's). */
  readonly onSpawn?: (pid: number) => void;
  /** Kills the process group when aborted (e.g. the broker under test died). */
  readonly signal?: AbortSignal;
  /** Echo stderr lines that match (progress), prefixed. */
  readonly echo?: { readonly prefix: string; readonly match: RegExp };
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** The abort signal's reason, when it ended the process. */
  readonly aborted?: string;
  readonly elapsedMs: number;
  readonly error?: string;
}

const MAX_CAPTURE = 4 * 1024 * 1024;

export function run(cmd: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: string | undefined;
    const pid = child.pid;
    if (pid !== undefined) {
      running.add(pid);
      options.onSpawn?.(pid);
    }
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (stderr.length < MAX_CAPTURE) stderr += text;
      if (options.echo) {
        for (const line of text.split('\n')) if (options.echo.match.test(line)) console.log(`${options.echo.prefix}${line.trim()}`);
      }
    });
    const killGroup = (): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    let aborted: string | undefined;
    const onAbort = (): void => {
      aborted = String(options.signal?.reason ?? 'aborted');
      killGroup();
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e) => (spawnError = e.message));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) running.delete(pid);
      resolve({
        code,
        signal,
        stdout,
        stderr,
        timedOut,
        ...(aborted !== undefined ? { aborted } : {}),
        elapsedMs: performance.now() - started,
        ...(spawnError !== undefined ? { error: spawnError } : {}),
      });
    });
  });
}

/** The last `n` lines of a text that say something (no blank lines, no INFO chatter). */
export function tail(text: string, n = 6): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '' && !/\bINFO\b/.test(l))
    .slice(-n)
    .join('\n');
}
