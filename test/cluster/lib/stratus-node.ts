// One process of a local cluster — `stratus controller` or `stratus broker` — as a child
// with its output in a log file (appended to across restarts, so a test's failure shows
// the whole story), its HTTP port probed for readiness and metrics, and the signals a
// test sends: SIGTERM (graceful), SIGKILL (a crash), SIGSTOP/SIGCONT (a pause), and a
// restart with the same settings (and data directory).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STRATUS_NODE_FLAGS } from '../../support/stratus-process.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface StratusNodeSpec {
  /** e.g. controller-1, broker-2 (also the log file's name). */
  readonly name: string;
  readonly command: 'controller' | 'broker';
  readonly httpPort: number;
  /** STRATUS_* settings (and credentials for the object store). */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export class StratusNode {
  readonly spec: StratusNodeSpec;
  private child: ChildProcess;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(spec: StratusNodeSpec) {
    this.spec = spec;
    const { child, exited } = this.spawn();
    this.child = child;
    this.exited = exited;
  }

  static start(spec: StratusNodeSpec): StratusNode {
    return new StratusNode(spec);
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private spawn(): { child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
    const out = openSync(this.spec.logFile, 'a');
    const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, this.spec.command], {
      cwd: ROOT,
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { child, exited };
  }

  /** GET on the HTTP port: status and body (status 0 when nothing answers). */
  async http(path: string): Promise<{ status: number; body: string }> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.spec.httpPort}${path}`, { signal: AbortSignal.timeout(2000) });
      return { status: r.status, body: await r.text() };
    } catch {
      return { status: 0, body: '' };
    }
  }

  async ready(): Promise<boolean> {
    return (await this.http('/readyz')).status === 200;
  }

  /** Waits for /readyz; fails (with the log's tail) when the process exits or the time is up. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.alive) throw new Error(`${this.name} exited before it was ready:\n${this.logTail()}`);
      if (await this.ready()) return;
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms (${(await this.http('/readyz')).body.trim()}):\n${this.logTail()}`);
  }

  /** A gauge or counter's value from /metrics (first sample matching name and labels), undefined when absent. */
  async metric(name: string, labels = ''): Promise<number | undefined> {
    const { body } = await this.http('/metrics');
    const line = body.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}}`}`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  /** Sends a signal; resolves with how the process ended. */
  async signal(signal: 'SIGTERM' | 'SIGKILL' | 'SIGINT'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill(signal);
    return this.exited;
  }

  /**
   * SIGSTOP: the process freezes (a stop-the-world pause, a VM stall) — its sockets stay
   * open, its timers stop, it answers nothing; resume() (SIGCONT) lets it run on.
   */
  pause(): void {
    if (this.alive) this.child.kill('SIGSTOP');
  }

  resume(): void {
    if (this.alive) this.child.kill('SIGCONT');
  }

  /** SIGTERM, then SIGKILL if it has not ended after `graceMs`. */
  async stop(graceMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** Starts the process again with the same settings (after it ended). */
  restart(): void {
    if (this.alive) throw new Error(`${this.name} is still running`);
    const { child, exited } = this.spawn();
    this.child = child;
    this.exited = exited;
  }

  /** The end of the log file. */
  logTail(chars = 6000): string {
    try {
      return readFileSync(this.spec.logFile, 'utf8').slice(-chars);
    } catch {
      return '(no log)';
    }
  }

  /** The log's JSON lines (pino) with a msg matching `pattern`. */
  logLines(pattern: RegExp): Record<string, unknown>[] {
    let text = '';
    try {
      text = readFileSync(this.spec.logFile, 'utf8');
    } catch {
      return [];
    }
    const out: Record<string, unknown>[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (typeof entry['msg'] === 'string' && pattern.test(entry['msg'])) out.push(entry);
      } catch {
        // a line cut by a kill
      }
    }
    return out;
  }
}
