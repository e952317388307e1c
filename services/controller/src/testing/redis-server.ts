// A real redis-server for one test: its own temp data directory, a free loopback port,
// AOF on with `appendfsync always` (as our deployment scripts run Redis), no RDB saves.
// It can be stopped (SIGTERM), killed (SIGKILL: whatever the AOF did not fsync is
// lost), restarted on the same data and port, and given replicas (for WAIT tests) and a
// Sentinel (for redis+sentinel:// URLs and failover).
// Commands for assertions go through redis-cli, so this file needs no Redis client
// library (only the store's adapter imports ioredis). Binaries come from
// test/peers/redis.sh; a missing one fails with the command that provisions it.
// Exported as @stratus/controller/testing (test/support/redis-server.ts re-exports it
// for the scripts under test/).

import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const LOG_KEEP_CHARS = 8_000;
const PROVISION = 'run `bash test/peers/redis.sh` (or `bash test/peers/provision.sh`) from the repository root to install it';

/** A loopback port free right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RedisServerOptions {
  /** Reuse a data directory (a restart); a fresh temp dir when absent. */
  readonly dataDir?: string;
  readonly port?: number;
  /** `host:port` of a master to replicate (a replica server). */
  readonly replicaOf?: string;
  /** Extra `--name value` arguments for redis-server. */
  readonly extraArgs?: readonly string[];
  /** Run as a Sentinel monitoring this master (a quorum of one, quick failure detection). */
  readonly sentinelOf?: { readonly masterName: string; readonly master: string; readonly downAfterMs: number };
}

export class RedisServer {
  readonly dataDir: string;
  readonly port: number;
  private readonly options: RedisServerOptions;
  private child: ChildProcess;
  private exited: Promise<void>;
  private logText = '';
  private readonly replicas: RedisServer[] = [];
  private ownsDir: boolean;

  private constructor(dataDir: string, port: number, options: RedisServerOptions, ownsDir: boolean) {
    this.dataDir = dataDir;
    this.port = port;
    this.options = options;
    this.ownsDir = ownsDir;
    const { child, exited } = this.spawn();
    this.child = child;
    this.exited = exited;
  }

  /** Starts a server and waits until it answers PING (after loading its AOF). */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const ownsDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'stratus-redis-'));
    const port = options.port ?? (await freePort());
    const server = new RedisServer(dataDir, port, options, ownsDir);
    await server.waitReady();
    return server;
  }

  /** `redis://127.0.0.1:port` (no parameters). */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines the server printed, for failure messages. */
  log(): string {
    return this.logText;
  }

  /** Runs one command through redis-cli and returns its raw output (trimmed). */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), '--no-raw', ...args], { encoding: 'utf8' });
    return stdout.trim();
  }

  /** Like cli() but with --raw output (no quoting: what a value is). */
  async cliRaw(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), '--raw', ...args], { encoding: 'utf8' });
    return stdout.replace(/\n$/, '');
  }

  /** Graceful stop (SIGTERM): Redis flushes and closes its AOF. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const force = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(force);
  }

  /** Abrupt death (SIGKILL): only what the AOF fsynced survives. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Starts redis-server again on the same data directory and port; waits until it has loaded the AOF. */
  async restart(): Promise<void> {
    if (this.alive) throw new Error(`redis-server on port ${this.port} is still running: stop() or kill() it first`);
    const { child, exited } = this.spawn();
    this.child = child;
    this.exited = exited;
    await this.waitReady();
  }

  /** Starts a replica of this server and waits until its link is up and it holds the master's data. */
  async startReplica(): Promise<RedisServer> {
    const replica = await RedisServer.start({ replicaOf: `127.0.0.1:${this.port}` });
    this.replicas.push(replica);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      // After the sync the replica rewrites its AOF in the background, and refuses SIGTERM meanwhile.
      const info = (await replica.cli('INFO', 'replication')) + (await replica.cli('INFO', 'persistence'));
      if (/master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info) && /aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
      if (Date.now() > deadline) throw new Error(`replica on port ${replica.port} did not sync with ${this.port}:\n${info}\n${replica.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return replica;
  }

  /**
   * Starts a Sentinel watching this server as master `masterName` (quorum one), and
   * waits until it has found the master's replicas. Stopped by cleanup().
   */
  async startSentinel(masterName: string, downAfterMs = 500): Promise<RedisServer> {
    const sentinel = await RedisServer.start({ sentinelOf: { masterName, master: `127.0.0.1:${this.port}`, downAfterMs } });
    this.replicas.push(sentinel);
    const expected = this.replicas.filter((r) => r.options.replicaOf !== undefined).length;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const info = await sentinel.cli('INFO', 'sentinel');
      if (new RegExp(`name=${masterName},status=ok,.*slaves=${expected},`).test(info)) break;
      if (Date.now() > deadline) throw new Error(`sentinel on port ${sentinel.port} did not see master ${this.port} with ${expected} replica(s):\n${info}\n${sentinel.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return sentinel;
  }

  /** Stops the server and its replicas and removes the data directory it created. */
  async cleanup(): Promise<void> {
    await Promise.all(this.replicas.map((r) => r.cleanup()));
    await this.stop();
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.ownsDir = false;
  }

  private spawn(): { child: ChildProcess; exited: Promise<void> } {
    const sentinel = this.options.sentinelOf;
    if (sentinel !== undefined) {
      // A Sentinel rewrites its config file as it learns the topology, so it gets its own.
      const [host, port] = sentinel.master.split(':');
      const conf = join(this.dataDir, 'sentinel.conf');
      if (!existsSync(conf)) {
        writeFileSync(
          conf,
          [
            `port ${this.port}`,
            'bind 127.0.0.1',
            `dir ${this.dataDir}`,
            `sentinel monitor ${sentinel.masterName} ${host} ${port} 1`,
            `sentinel down-after-milliseconds ${sentinel.masterName} ${sentinel.downAfterMs}`,
            `sentinel failover-timeout ${sentinel.masterName} 5000`,
            '',
          ].join('\n'),
        );
      }
      return this.spawnWith([conf, '--sentinel', '--loglevel', 'warning']);
    }
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--save', '',
      '--daemonize', 'no',
      '--protected-mode', 'no',
      '--logfile', '',
      '--loglevel', 'warning',
      // A replica's first sync starts at once instead of after Redis' default 5 s wait for more replicas.
      '--repl-diskless-sync-delay', '0',
      ...(this.options.replicaOf !== undefined ? ['--replicaof', ...this.options.replicaOf.split(':')] : []),
      ...(this.options.extraArgs ?? []),
    ];
    return this.spawnWith(args);
  }

  private spawnWith(args: readonly string[]): { child: ChildProcess; exited: Promise<void> } {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      this.logText = (this.logText + chunk.toString('utf8')).slice(-LOG_KEEP_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.logText += err.code === 'ENOENT' ? `redis-server not found on PATH: ${PROVISION}` : String(err);
        resolve();
      });
    });
    return { child, exited };
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.alive || this.child.pid === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        if (!this.alive || this.child.pid === undefined) throw new Error(`redis-server on port ${this.port} exited before it was ready:\n${this.logText}`);
      }
      // PONG only once the AOF is loaded: a loading server answers -LOADING.
      if ((await this.cli('PING').catch(() => '')) === 'PONG') return;
      await new Promise((r) => setTimeout(r, 30));
    }
    await this.kill();
    throw new Error(`redis-server on port ${this.port} not ready after ${READY_TIMEOUT_MS} ms:\n${this.logText}`);
  }
}
