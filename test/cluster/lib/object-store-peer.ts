// The object store a local cluster shares: MinIO (S3) by default, fake-gcs-server (GCS)
// with `gcs`, or a local directory (`file`). The servers keep their data under the
// cluster's data directory (not in a temp dir of their own, as the per-test peers of
// @stratus/objectstore/testing do), so a cluster started again on the same directory
// finds the objects its Redis metadata points at. Returns the URL and the environment
// the processes need (S3 credentials).

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { openObjectStore } from '@stratus/objectstore';
import { freePort } from '../../support/stratus-process.ts';

export type ObjectStoreKind = 'minio' | 'gcs' | 'file';

export interface ObjectStorePeer {
  readonly kind: ObjectStoreKind;
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  /** Where the server answers (none for file). */
  readonly endpoint: string | undefined;
  stop(): Promise<void>;
}

const BUCKET = 'stratus';
const READY_TIMEOUT_MS = 30_000;
const MINIO_USER = 'stratus-cluster';
const MINIO_PASSWORD = 'stratus-cluster-secret';

/** On PATH or in Go's bin directory, where test/peers/provision.sh builds MinIO and fake-gcs-server. */
function binary(name: string): string {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  dirs.push(join(process.env['GOPATH'] ?? join(homedir(), 'go'), 'bin'));
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  throw new Error(`${name} not found on PATH or in Go's bin directory: run bash test/peers/provision.sh`);
}

async function serve(name: string, args: string[], env: Record<string, string>, logFile: string, ready: () => Promise<boolean>): Promise<() => Promise<void>> {
  const out = openSync(logFile, 'a');
  const child: ChildProcess = spawn(binary(name), args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ready().catch(() => false))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${name} did not start (see ${logFile})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return stop;
}

export async function startObjectStore(kind: ObjectStoreKind, dataDir: string, logDir: string, port?: number): Promise<ObjectStorePeer> {
  if (kind === 'file') {
    const dir = join(dataDir, 'objects');
    mkdirSync(dir, { recursive: true });
    return { kind, url: `file://${dir}`, env: {}, endpoint: undefined, stop: async () => undefined };
  }
  const listen = port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${listen}`;
  if (kind === 'minio') {
    const dir = join(dataDir, 'minio');
    mkdirSync(dir, { recursive: true });
    const consolePort = await freePort();
    const stop = await serve(
      'minio',
      ['server', dir, '--quiet', '--address', `127.0.0.1:${listen}`, '--console-address', `127.0.0.1:${consolePort}`],
      { MINIO_ROOT_USER: MINIO_USER, MINIO_ROOT_PASSWORD: MINIO_PASSWORD, MINIO_BROWSER: 'off' },
      join(logDir, 'minio.log'),
      async () => (await fetch(`${endpoint}/minio/health/ready`)).ok,
    );
    const url = `s3://${BUCKET}/cluster?endpoint=${endpoint}&region=us-east-1`;
    const credentials = { accessKeyId: MINIO_USER, secretAccessKey: MINIO_PASSWORD };
    const store = await openObjectStore(url, { createBucket: true, s3: { credentials } });
    await store.close();
    return { kind, url, env: { AWS_ACCESS_KEY_ID: MINIO_USER, AWS_SECRET_ACCESS_KEY: MINIO_PASSWORD, AWS_REGION: 'us-east-1' }, endpoint, stop };
  }
  const dir = join(dataDir, 'gcs');
  mkdirSync(dir, { recursive: true });
  const stop = await serve(
    'fake-gcs-server',
    ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(listen), '-backend', 'filesystem', '-filesystem-root', dir, '-log-level', 'warn'],
    {},
    join(logDir, 'fake-gcs-server.log'),
    async () => (await fetch(`${endpoint}/storage/v1/b`)).ok,
  );
  const url = `gs://${BUCKET}/cluster?endpoint=${endpoint}`;
  const store = await openObjectStore(url, { createBucket: true });
  await store.close();
  return { kind, url, env: {}, endpoint, stop };
}
