// A fake-gcs-server (GCS emulator) for one test file: in-memory backend, plain HTTP on a
// free loopback port. The GCS contract tests run against it.

import { findPeerBinary, freePort, spawnPeer, waitUntilReady } from './peer-process.ts';

export interface FakeGcsServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startFakeGcs(): Promise<FakeGcsServer> {
  const binary = findPeerBinary('fake-gcs-server');
  const port = await freePort();
  const peer = spawnPeer('fake-gcs-server', binary, ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-backend', 'memory', '-log-level', 'warn']);
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady(peer, async () => (await fetch(`${endpoint}/storage/v1/b`)).ok);
  return { endpoint, stop: () => peer.stop() };
}
