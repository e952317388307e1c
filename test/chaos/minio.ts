// The chaos campaign's MinIO: like @stratus/objectstore/testing's startMinio (fresh data
// directory, free loopback ports, known credentials), but restartable on the same data
// directory and port, and watched. In 30-minute campaigns MinIO (built from its latest
// source by test/peers/minio.sh) three times began to grow by gigabytes a minute — with a
// single client connection left, in CLOSE-WAIT — until the kernel killed it at 23 GB; short
// experiments with slow, cut and aborted PUTs, GETs and listings did not reproduce it. So the
// watch SIGKILLs and restarts a MinIO above MEMORY_LIMIT (or one that died): to the broker
// that is one more object-store outage of a few seconds, and the summary counts it apart.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '../support/stratus-process.ts';

const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function minioBinary(): string {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  try {
    dirs.push(join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(delimiter)[0] ?? '', 'bin'));
  } catch {
    // no Go: the default GOPATH below
  }
  dirs.push(join(homedir(), 'go', 'bin'));
  for (const d of dirs) if (existsSync(join(d, 'minio'))) return join(d, 'minio');
  throw new Error('minio not found on PATH or in Go\'s bin directory: run bash test/peers/provision.sh');
}

function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return kb ? Number(kb[1]) * 1024 : 0;
  } catch {
    return undefined;
  }
}

export interface MinioRestart {
  /** Seconds since the campaign started. */
  readonly atS: number;
  readonly why: string;
}

export class ChaosMinio {
  readonly accessKeyId = 'stratus-test';
  readonly secretAccessKey = 'stratus-test-secret';
  readonly port: number;
  readonly restarts: MinioRestart[] = [];
  peakRssBytes = 0;
  /** [seconds since start, RSS MiB] once a minute. */
  readonly samples: [number, number][] = [];
  private readonly binary: string;
  private readonly dataDir: string;
  private readonly consolePort: number;
  private readonly t0: number;
  private child: ChildProcess | undefined;
  private log = '';
  private watching = true;
  private watched: Promise<void> = Promise.resolve();

  private constructor(binary: string, dataDir: string, port: number, consolePort: number, t0: number) {
    this.binary = binary;
    this.dataDir = dataDir;
    this.port = port;
    this.consolePort = consolePort;
    this.t0 = t0;
  }

  static async start(t0: number): Promise<ChaosMinio> {
    const m = new ChaosMinio(minioBinary(), mkdtempSync(join(tmpdir(), 'stratus-chaos-minio-')), await freePort(), await freePort(), t0);
    await m.launch();
    m.watched = m.watch();
    return m;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const child = spawn(this.binary, ['server', this.dataDir, '--quiet', '--address', `127.0.0.1:${this.port}`, '--console-address', `127.0.0.1:${this.consolePort}`], {
      env: { ...process.env, MINIO_ROOT_USER: this.accessKeyId, MINIO_ROOT_PASSWORD: this.secretAccessKey, MINIO_BROWSER: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer): void => void (this.log = (this.log + d.toString('utf8')).slice(-8000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode} before it was ready:\n${this.log}`);
      const ok = await fetch(`${this.endpoint}/minio/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`minio not ready within 30 s:\n${this.log}`);
  }

  private async kill(): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  }

  private async watch(): Promise<void> {
    let lastSample = -60;
    while (this.watching) {
      const s = Math.round((Date.now() - this.t0) / 1000);
      const rss = rssBytes(this.child?.pid);
      const gone = rss === undefined || this.child?.exitCode !== null || this.child?.signalCode !== null;
      if (rss !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes, rss);
      if (rss !== undefined && s - lastSample >= 60) {
        this.samples.push([s, Math.round(rss / 1048576)]);
        lastSample = s;
      }
      if (gone || (rss ?? 0) > MEMORY_LIMIT_BYTES) {
        const why = gone ? `exited (${String(this.child?.exitCode ?? this.child?.signalCode)})` : `RSS ${Math.round((rss ?? 0) / 1048576)} MiB over ${MEMORY_LIMIT_BYTES / 1048576} MiB`;
        this.restarts.push({ atS: s, why });
        await this.kill();
        try {
          await this.launch();
        } catch (e) {
          this.restarts.push({ atS: Math.round((Date.now() - this.t0) / 1000), why: `restart failed: ${(e as Error).message.slice(0, 300)}` });
          await sleep(5000);
        }
      }
      await sleep(2000);
    }
  }

  async stop(): Promise<void> {
    this.watching = false;
    await this.watched;
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
