// Starts a real peer server (MinIO, fake-gcs-server) as a child process for a test suite:
// finds its binary (or fails saying how to provision it), picks a free loopback port,
// waits until the server answers, and stops it. Never mocks anything.

import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PROVISION = 'run `bash test/peers/provision.sh` (from the repository root) to install it';

/** The binary's path: on PATH, else in Go's bin directory (where provision.sh builds it). */
export function findPeerBinary(name: string): string {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  const goBins: string[] = [];
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim().split(path.delimiter)[0] ?? '';
    if (gobin !== '') goBins.push(gobin);
    if (gopath !== '') goBins.push(path.join(gopath, 'bin'));
  } catch {
    // No Go toolchain: fall back to the default GOPATH.
  }
  goBins.push(path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'bin'));
  for (const dir of [...dirs, ...goBins]) {
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} not found on PATH or in Go's bin directory (${goBins.join(', ')}): ${PROVISION}`);
}

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

export interface PeerProcess {
  readonly name: string;
  /** The last lines the server printed, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const LOG_KEEP_CHARS = 8000;

export function spawnPeer(name: string, binary: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): PeerProcess & { readonly child: ChildProcess } {
  const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-LOG_KEEP_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    },
  };
}

/** Polls `probe` until it returns true; fails early if the process exits, or after `timeoutMs`. */
export async function waitUntilReady(peer: PeerProcess & { readonly child: ChildProcess }, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (peer.child.exitCode !== null) throw new Error(`${peer.name} exited with code ${peer.child.exitCode} before it was ready:\n${peer.log()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  await peer.stop();
  throw new Error(`${peer.name} not ready after ${timeoutMs} ms:\n${peer.log()}`);
}
