// A MinIO server for one test file: fresh data directory, free loopback ports, known
// credentials. The S3 contract tests run against it.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findPeerBinary, freePort, spawnPeer, waitUntilReady } from './peer-process.ts';

export interface MinioServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

export async function startMinio(): Promise<MinioServer> {
  const binary = findPeerBinary('minio');
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'stratus-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKeyId = 'stratus-test';
  const secretAccessKey = 'stratus-test-secret';
  const peer = spawnPeer('minio', binary, ['server', dataDir, '--quiet', '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`], {
    MINIO_ROOT_USER: accessKeyId,
    MINIO_ROOT_PASSWORD: secretAccessKey,
    MINIO_BROWSER: 'off',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(peer, async () => (await fetch(`${endpoint}/minio/health/live`)).ok && (await fetch(`${endpoint}/minio/health/ready`)).ok);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    stop: async () => {
      await peer.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
