// The chaos campaign's `stratus dev`: one data directory and one Kafka port for the whole
// campaign (clients reconnect to the same address), a new process after every kill or stop.
// Start waits for /livez only (the Kafka port listens): a broker restarted while the object
// store is down can be legitimately unready. Every instance's output goes to one log file;
// an exit nobody asked for (a crash, a fatal error) is recorded as a problem.

import { appendFileSync } from 'node:fs';
import { StratusProcess } from '../support/stratus-process.ts';

/** A SIGTERM'd broker that has not exited after this long is a problem (drain + flush timeout are far shorter). */
const TERM_HANG_MS = 60_000;

export interface BrokerEvent {
  /** ms since the campaign started. */
  readonly atMs: number;
  readonly what: string;
}

export class ChaosBroker {
  readonly dataDir: string;
  readonly kafkaPort: number;
  private readonly env: Readonly<Record<string, string>>;
  private readonly logFile: string;
  private readonly t0: number;
  private proc: StratusProcess | undefined;
  private expectingExit = false;
  private instance = 0;
  readonly problems: string[] = [];
  readonly events: BrokerEvent[] = [];
  /** ms from spawn to /livez of every start. */
  readonly startMs: number[] = [];
  /** ms from SIGTERM to exit, with the exit code, of every graceful stop. */
  readonly stops: { ms: number; code: number | null; storeDown: boolean }[] = [];

  private constructor(dataDir: string, kafkaPort: number, env: Readonly<Record<string, string>>, logFile: string, t0: number) {
    this.dataDir = dataDir;
    this.kafkaPort = kafkaPort;
    this.env = env;
    this.logFile = logFile;
    this.t0 = t0;
  }

  static async start(o: { dataDir: string; kafkaPort: number; env: Readonly<Record<string, string>>; logFile: string; t0: number }): Promise<ChaosBroker> {
    const b = new ChaosBroker(o.dataDir, o.kafkaPort, o.env, o.logFile, o.t0);
    await b.launch();
    return b;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.kafkaPort}`;
  }

  get running(): StratusProcess | undefined {
    return this.proc?.alive ? this.proc : undefined;
  }

  get instances(): number {
    return this.instance;
  }

  private note(what: string): void {
    this.events.push({ atMs: Date.now() - this.t0, what });
  }

  /** Starts a new process on the data directory; retries a start that fails (recorded as a problem). */
  async launch(env: Readonly<Record<string, string>> = {}): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const n = ++this.instance;
      const t = Date.now();
      try {
        const p = await StratusProcess.start({ dataDir: this.dataDir, kafkaPort: this.kafkaPort, env: { ...this.env, ...env }, waitFor: 'live' });
        this.startMs.push(Date.now() - t);
        this.proc = p;
        this.expectingExit = false;
        this.note(`instance ${n} live after ${Date.now() - t} ms (pid ${p.child.pid})`);
        p.child.once('exit', (code, signal) => {
          this.saveOutput(n, p, `exit code ${String(code)} signal ${String(signal)}`);
          if (!this.expectingExit && this.proc === p) {
            const problem = `stratus dev instance ${n} exited by itself (code ${String(code)}, signal ${String(signal)}) at ${Math.round((Date.now() - this.t0) / 1000)} s; its output ends:\n${p.output.slice(-3000)}`;
            this.problems.push(problem);
            this.note(`instance ${n} exited by itself (code ${String(code)}, signal ${String(signal)})`);
          }
        });
        return;
      } catch (e) {
        const message = (e as Error).message;
        appendFileSync(this.logFile, `\n===== instance ${n}: start failed =====\n${message}\n`);
        this.problems.push(`start of instance ${n} failed (attempt ${attempt}): ${message.slice(0, 3000)}`);
        this.note(`instance ${n} failed to start`);
        if (attempt >= 3) throw new Error(`stratus dev did not start 3 times in a row; last: ${message.slice(0, 3000)}`, { cause: e });
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  private saveOutput(n: number, p: StratusProcess, how: string): void {
    appendFileSync(this.logFile, `\n===== instance ${n} (pid ${String(p.child.pid)}): ${how} =====\n${p.output}`);
  }

  /** SIGKILL: no flush, no upload, no journal close. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p?.alive) return;
    this.expectingExit = true;
    await p.kill();
    this.note(`SIGKILL instance ${this.instance}`);
  }

  /** SIGTERM and wait for the exit; records how long it took and the exit code. */
  async term(storeDown: boolean): Promise<void> {
    const p = this.proc;
    if (!p?.alive) return;
    this.expectingExit = true;
    const t = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), TERM_HANG_MS)));
    const result = await Promise.race([p.stop(), hung]);
    clearTimeout(timer);
    if (result === 'hung') {
      this.problems.push(`instance ${this.instance} did not exit within ${TERM_HANG_MS / 1000} s of SIGTERM (store ${storeDown ? 'down' : 'up'}): killed`);
      await p.kill();
    }
    const code = result === 'hung' ? null : result;
    this.stops.push({ ms: Date.now() - t, code, storeDown });
    this.note(`SIGTERM instance ${this.instance}: exit ${String(code)} after ${Date.now() - t} ms`);
  }

  /** Starts the broker again if it is not running (after a crash nobody asked for, say). */
  async ensureRunning(): Promise<void> {
    if (!this.proc?.alive) await this.launch();
  }

  /** /readyz of the running process: undefined when ready, else why not. */
  async notReady(): Promise<string | undefined> {
    const p = this.running;
    if (p === undefined) return 'not running';
    try {
      const r = await fetch(`http://127.0.0.1:${p.httpPort}/readyz`);
      return r.status === 200 ? undefined : (await r.text()).trim();
    } catch (e) {
      return (e as Error).message;
    }
  }

  /** The running process's /metrics text, or undefined. */
  async metricsText(): Promise<string | undefined> {
    const p = this.running;
    if (p === undefined) return undefined;
    try {
      return await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
    } catch {
      return undefined;
    }
  }

  /** One gauge or counter from /metrics (summed over its labels); undefined when unavailable. */
  async metric(name: string): Promise<number | undefined> {
    const p = this.running;
    if (p === undefined) return undefined;
    try {
      const text = await (await fetch(`http://127.0.0.1:${p.httpPort}/metrics`)).text();
      let sum: number | undefined;
      for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum = (sum ?? 0) + Number(m[1]);
      return sum;
    } catch {
      return undefined;
    }
  }
}
