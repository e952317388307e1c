// Runs `stratus dev` as a real child process for tests: free ports, its own data
// directory, ready when /readyz answers 200. The same data directory can be started
// again after SIGTERM or SIGKILL, which is how restart tests check what survives.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonLines } from '../compat/support/process.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'services', 'cli', 'src', 'main.ts');
const READY_TIMEOUT_MS = 30_000;
/** The V8 flags `stratus` is run with (see services/cli/src/main.ts). */
export const STRATUS_NODE_FLAGS = ['--initial-old-space-size=128'];

// Ports handed to processes the tests start. Not from the kernel's ephemeral range
// (Linux: 32768-60999): a port picked there is free only until the process binds it, and in
// between the kernel may give it to any outgoing connection — with clusters of processes
// connecting to each other that happened (a broker's HTTP port EADDRINUSE in CI). Below
// that range only explicit picks compete; each test process starts at its own place in
// 20000-31999 (by pid, so concurrent vitest workers rarely overlap) and checks each port
// by binding it before handing it out.
const PICK_FIRST = 20_000;
const PICK_SPAN = 12_000;
let nextPick = PICK_FIRST + ((process.pid * 97) % PICK_SPAN);

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PICK_SPAN; tries++) {
    const port = nextPick;
    nextPick = PICK_FIRST + ((nextPick - PICK_FIRST + 1) % PICK_SPAN);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${PICK_FIRST}-${PICK_FIRST + PICK_SPAN - 1}`);
}

export interface DevProcessOptions {
  /** Reuse a data directory (a restart); a fresh temp dir when absent. */
  readonly dataDir?: string;
  /** A YAML file for `--config`: settings STRATUS_* variables cannot say (lists of users, per-listener TLS). */
  readonly config?: string;
  /** Extra STRATUS_* settings. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * What start() waits for: /readyz (the default) or only /livez, which answers once the Kafka
   * port listens — for a start that may be legitimately unready (object store down, appends waiting).
   */
  readonly waitFor?: 'ready' | 'live';
  /** How long start() waits for it (30 s when absent). */
  readonly readyTimeoutMs?: number;
}

export interface StratusProcessOptions extends DevProcessOptions {
  readonly kafkaPort?: number;
}

/**
 * `stratus dev` as a child process with its Kafka listeners as its settings give them
 * (kafka.listeners in the config file or STRATUS_KAFKA_LISTENERS, on ports the test picked):
 * output collected, ready when the probe answers 200, stopped with SIGTERM. StratusProcess is
 * the common case, one PLAINTEXT listener on a free port.
 */
export class DevProcess {
  readonly dataDir: string;
  readonly httpPort: number;
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output = '';
  /** The extra STRATUS_* settings it was started with (restart() keeps them). */
  env: Readonly<Record<string, string>> | undefined;
  /** The config file it was started with (restart() keeps it). */
  config: string | undefined;
  private exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  protected constructor(dataDir: string, httpPort: number, child: ChildProcess) {
    this.dataDir = dataDir;
    this.httpPort = httpPort;
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static async start(options: DevProcessOptions = {}): Promise<DevProcess> {
    const { dataDir, httpPort, child } = await DevProcess.spawnDev(options, []);
    return DevProcess.started(new DevProcess(dataDir, httpPort, child), options);
  }

  /** Spawns `stratus dev` on its data directory and a free HTTP port, with `args` besides. */
  protected static async spawnDev(options: DevProcessOptions, args: readonly string[]): Promise<{ dataDir: string; httpPort: number; child: ChildProcess }> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'stratus-dev-'));
    const httpPort = await freePort();
    const config = options.config === undefined ? [] : ['--config', options.config];
    const child = spawn(process.execPath, [...STRATUS_NODE_FLAGS, MAIN, 'dev', ...config, '--data-dir', dataDir, ...args, '--http-port', String(httpPort)], {
      cwd: ROOT,
      env: { ...process.env, STRATUS_LOG_LEVEL: process.env['STRATUS_LOG_LEVEL'] ?? 'warn', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { dataDir, httpPort, child };
  }

  /** Records the settings `p` was started with and waits until it is ready (or live). */
  protected static async started<P extends DevProcess>(p: P, options: DevProcessOptions): Promise<P> {
    if (options.env) p.env = options.env;
    if (options.config !== undefined) p.config = options.config;
    await p.waitReady(options.waitFor === 'live' ? '/livez' : '/readyz', options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    return p;
  }

  private async waitReady(probe: '/readyz' | '/livez', timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let gone = false;
    void this.exited.then(() => (gone = true));
    while (Date.now() < deadline) {
      if (gone) throw new Error(`stratus dev exited before it was ready:\n${this.output}`);
      try {
        const r = await fetch(`http://127.0.0.1:${this.httpPort}${probe}`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.child.kill('SIGKILL');
    throw new Error(`stratus dev was not ready within ${timeoutMs} ms:\n${this.output}`);
  }

  /** Its whole JSON log lines (STRATUS_LOG_PRETTY=false) from `from`, a length of `output`, on; a line still being written is left out. */
  jsonLog(from = 0): Record<string, unknown>[] {
    const text = this.output.slice(from);
    return jsonLines(text.slice(0, text.lastIndexOf('\n') + 1));
  }

  /** Resident set size of the process in bytes (Linux /proc). */
  async rssBytes(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : 0;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Graceful stop; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.alive) this.child.kill('SIGTERM');
    return (await this.exited).code;
  }

  /** Abrupt death: no flush, no upload, no journal close. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  removeData(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** `stratus dev` with its one (PLAINTEXT) Kafka listener on a free port, or on `kafkaPort`. */
export class StratusProcess extends DevProcess {
  readonly kafkaPort: number;

  private constructor(dataDir: string, kafkaPort: number, httpPort: number, child: ChildProcess) {
    super(dataDir, httpPort, child);
    this.kafkaPort = kafkaPort;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  static override async start(options: StratusProcessOptions = {}): Promise<StratusProcess> {
    const kafkaPort = options.kafkaPort ?? (await freePort());
    const { dataDir, httpPort, child } = await DevProcess.spawnDev(options, ['--kafka-port', String(kafkaPort)]);
    return DevProcess.started(new StratusProcess(dataDir, kafkaPort, httpPort, child), options);
  }

  /** Starts a new process on the same data directory (and Kafka port, so clients reconnect), with the same settings. */
  restart(): Promise<StratusProcess> {
    return StratusProcess.start({ dataDir: this.dataDir, kafkaPort: this.kafkaPort, ...(this.env ? { env: this.env } : {}), ...(this.config !== undefined ? { config: this.config } : {}) });
  }
}
