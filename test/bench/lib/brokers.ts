// The systems under test, each started fresh on an empty data directory and stopped (its
// data removed) after its workloads: Apache Kafka through test/peers/kafka-broker.sh (one
// KRaft node, Kafka's defaults), and `stratus dev` through test/support/stratus-process.ts.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StratusProcess, freePort } from '../../support/stratus-process.ts';
import { run, tail } from './exec.ts';
import { scrape } from './object-store.ts';
import { alive } from './proc.ts';

export type SystemKind = 'kafka' | 'stratus';

export interface SystemSpec {
  /** Short id used in rows and file names: kafka, stratus, stratus-relaxed. */
  readonly id: string;
  readonly kind: SystemKind;
  readonly label: string;
  /** How it is configured, in words. */
  readonly settings: string;
  /** Extra environment (STRATUS_* for Stratus, KAFKA_BROKER_PROPS for Kafka). */
  readonly env: Readonly<Record<string, string>>;
  /** Client settings every Kafka tool adds (the SSL systems' security.protocol and truststore: lib/tls.ts). */
  readonly clientProps?: Readonly<Record<string, string>>;
  /** kafkajs's ssl option for the topic set-up. */
  readonly kafkajsSsl?: { readonly ca: string[] };
  /** The only workloads this system runs (the SSL systems: W1). Absent: all that were asked for. */
  readonly workloads?: readonly string[];
}

export interface Broker {
  readonly spec: SystemSpec;
  readonly bootstrap: string;
  /** The broker's process id (the JVM for Kafka, node for Stratus); changes on restart. */
  readonly pid: number;
  /** Stratus's HTTP port (metrics); undefined for Kafka. */
  readonly httpPort: number | undefined;
  readonly dataDir: string;
  isAlive(): boolean;
  /** The end of the broker's log, for failure reports. */
  logTail(lines?: number): string;
  /** Waits until everything appended is durable where the system keeps it for good (Stratus: uploaded to the object store). Returns seconds waited. */
  drain(timeoutMs: number): Promise<number>;
  /** Stops gracefully and starts again on the same data directory (memory caches empty). */
  restart(): Promise<void>;
  /** Stops the broker and removes its data directory. */
  stop(): Promise<StopTimes>;
}

export interface StopTimes {
  /** Seconds until the process was gone. */
  readonly stopSeconds: number;
  /** Seconds to delete its data directory. */
  readonly removeSeconds: number;
}

function removeData(dir: string, stopStarted: number): StopTimes {
  const t1 = performance.now();
  rmSync(dir, { recursive: true, force: true });
  return { stopSeconds: (t1 - stopStarted) / 1000, removeSeconds: (performance.now() - t1) / 1000 };
}

const live = new Set<Broker>();

/** SIGKILLs the brokers this harness started that are still running (on interrupt). */
export function killBrokers(): void {
  for (const b of live) {
    try {
      process.kill(b.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function startBroker(spec: SystemSpec, root: string, baseDir: string): Promise<Broker> {
  const b = spec.kind === 'kafka' ? await KafkaBroker.start(spec, root, baseDir) : await StratusBroker.start(spec, baseDir);
  live.add(b);
  return b;
}

class KafkaBroker implements Broker {
  readonly spec: SystemSpec;
  readonly bootstrap: string;
  readonly pid: number;
  readonly httpPort = undefined;
  readonly dataDir: string;
  private readonly script: string;

  private constructor(spec: SystemSpec, script: string, dir: string, port: number, pid: number) {
    this.spec = spec;
    this.script = script;
    this.dataDir = dir;
    this.bootstrap = `127.0.0.1:${port}`;
    this.pid = pid;
  }

  static async start(spec: SystemSpec, root: string, baseDir: string): Promise<KafkaBroker> {
    const script = join(root, 'test', 'peers', 'kafka-broker.sh');
    const dir = mkdtempSync(join(baseDir, `${spec.id}-`));
    const port = await freePort();
    const r = await run('bash', [script, 'start', dir, String(port)], {
      timeoutMs: 150_000,
      env: { ...process.env, ...spec.env },
    });
    if (r.code !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`kafka-broker.sh start failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${tail(r.stderr, 10)}`);
    }
    const pid = Number(readFileSync(join(dir, 'broker.pid'), 'utf8').trim());
    return new KafkaBroker(spec, script, dir, port, pid);
  }

  isAlive(): boolean {
    return alive(this.pid);
  }

  logTail(lines = 20): string {
    try {
      return tail(readFileSync(join(this.dataDir, 'broker.log'), 'utf8'), lines);
    } catch {
      return '';
    }
  }

  drain(): Promise<number> {
    return Promise.resolve(0); // Kafka's log is its durable store; nothing to wait for.
  }

  restart(): Promise<void> {
    return Promise.reject(new Error('not used for Kafka'));
  }

  async stop(): Promise<StopTimes> {
    // Its data is thrown away, so a broker that takes more than 5 s over a clean shutdown
    // (thousands of partitions to close) is killed rather than waited for.
    const t0 = performance.now();
    await run('bash', [this.script, 'stop', this.dataDir], { timeoutMs: 60_000, env: { ...process.env, KAFKA_STOP_TIMEOUT: '5' } });
    live.delete(this);
    return removeData(this.dataDir, t0);
  }
}

class StratusBroker implements Broker {
  readonly spec: SystemSpec;
  readonly dataDir: string;
  private proc: StratusProcess;

  private constructor(spec: SystemSpec, dataDir: string, proc: StratusProcess) {
    this.spec = spec;
    this.dataDir = dataDir;
    this.proc = proc;
  }

  static async start(spec: SystemSpec, baseDir: string): Promise<StratusBroker> {
    const dataDir = mkdtempSync(join(baseDir, `${spec.id}-`));
    try {
      const proc = await StratusProcess.start({ dataDir, env: spec.env });
      return new StratusBroker(spec, dataDir, proc);
    } catch (e) {
      rmSync(dataDir, { recursive: true, force: true });
      throw e;
    }
  }

  get bootstrap(): string {
    return this.proc.bootstrap;
  }

  get pid(): number {
    return this.proc.child.pid ?? -1;
  }

  get httpPort(): number {
    return this.proc.httpPort;
  }

  isAlive(): boolean {
    return this.proc.alive;
  }

  logTail(lines = 20): string {
    return tail(this.proc.output, lines);
  }

  async drain(timeoutMs: number): Promise<number> {
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.proc.alive) throw new Error('stratus exited');
      const m = await scrape(this.proc.httpPort);
      if (m.pendingBytes === 0) return (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`uploads did not drain within ${timeoutMs / 1000} s`);
  }

  async restart(): Promise<void> {
    await this.stopProcess();
    this.proc = await StratusProcess.start({ dataDir: this.dataDir, kafkaPort: this.proc.kafkaPort, env: this.spec.env });
  }

  private async stopProcess(): Promise<void> {
    const timer = setTimeout(() => void this.proc.kill(), 60_000);
    try {
      await this.proc.stop();
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<StopTimes> {
    const t0 = performance.now();
    await this.stopProcess();
    live.delete(this);
    return removeData(this.dataDir, t0);
  }
}
