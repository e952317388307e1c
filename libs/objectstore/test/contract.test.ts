// Runs the ObjectStore contract against all four backends: memory, file, MinIO (s3://)
// and fake-gcs-server (gs://). The two servers are real processes started here (see
// support/), never mocks; a missing binary fails the suite with the command that
// provisions it. Also checks the error mapping that only a real server can show.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore, ObjectStoreError, openObjectStore } from '../src/index.ts';
import type { ObjectStore } from '../src/index.ts';
import { defineContract } from './support/contract.ts';
import { startFakeGcs, startMinio } from '../src/testing/index.ts';
import type { FakeGcsServer, MinioServer } from '../src/testing/index.ts';
import { freePort } from '../src/testing/peers/peer-process.ts';

const MiB = 1024 * 1024;
const BUCKET = 'stratus-contract';

let minio: MinioServer | undefined;
let gcs: FakeGcsServer | undefined;
let tmp: string;
let runs = 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'stratus-objectstore-'));
  const [m, g] = await Promise.allSettled([startMinio(), startFakeGcs()]);
  if (m.status === 'fulfilled') minio = m.value;
  if (g.status === 'fulfilled') gcs = g.value;
  if (m.status === 'rejected') throw m.reason;
  if (g.status === 'rejected') throw g.reason;
});

afterAll(async () => {
  await Promise.all([minio?.stop(), gcs?.stop()]);
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

function s3Url(prefix: string, endpoint = minio!.endpoint, bucket = BUCKET): string {
  return `s3://${bucket}/${prefix}?endpoint=${endpoint}&region=us-east-1&forcePathStyle=true`;
}

function openS3(prefix: string): Promise<ObjectStore> {
  return openObjectStore(s3Url(prefix), {
    createBucket: true,
    // Small parts and batches so a 20 MiB body is a 4-part upload and deleteMany batches.
    s3: { credentials: { accessKeyId: minio!.accessKeyId, secretAccessKey: minio!.secretAccessKey }, partSizeBytes: 5 * MiB, multipartThresholdBytes: 8 * MiB, deleteBatchSize: 7 },
  });
}

function openGcs(prefix: string): Promise<ObjectStore> {
  return openObjectStore(`gs://${BUCKET}/${prefix}?endpoint=${gcs!.endpoint}`, { createBucket: true, gcs: { resumableThresholdBytes: 8 * MiB } });
}

defineContract('memory://', async () => new MemoryObjectStore('contract'));
defineContract('file://', async () => openObjectStore(`file://${tmp}/contract-${++runs}`));
defineContract('s3:// (MinIO)', async () => openS3(`contract-${++runs}`));
defineContract('gs:// (fake-gcs-server)', async () => openGcs(`contract-${++runs}`));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (e: unknown) => (e instanceof ObjectStoreError ? `${e.code}${e.retriable ? ' (retriable)' : ''}` : String(e)),
  );
}

describe('s3:// errors from a real server', () => {
  it('wrong credentials are access_denied', async () => {
    const store = await openObjectStore(s3Url('errors'), { s3: { credentials: { accessKeyId: minio!.accessKeyId, secretAccessKey: 'wrong-secret' } } });
    expect(await codeOf(store.get('x'))).toBe('access_denied');
    expect(await codeOf(store.put('x', Buffer.from('x')))).toBe('access_denied');
    await store.close();
  });

  it('a missing bucket is invalid_argument', async () => {
    const store = await openObjectStore(s3Url('errors', minio!.endpoint, 'no-such-bucket'), { s3: { credentials: { accessKeyId: minio!.accessKeyId, secretAccessKey: minio!.secretAccessKey } } });
    expect(await codeOf(store.get('x'))).toBe('invalid_argument');
    await store.close();
  });

  it('a server that does not answer is unavailable (retriable)', async () => {
    const store = await openObjectStore(s3Url('errors', `http://127.0.0.1:${await freePort()}`), { s3: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } });
    expect(await codeOf(store.head('x'))).toBe('unavailable (retriable)');
    await store.close();
  });

  it('an aborted multipart upload leaves no object', async () => {
    const store = await openS3(`abort-${++runs}`);
    const controller = new AbortController();
    const reason = new Error('stop');
    const put = store.put('big', Buffer.alloc(12 * MiB, 1), { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 5);
    await expect(put).rejects.toBe(reason);
    expect(await store.head('big')).toBeUndefined();
    await store.close();
  });
});

describe('gs:// errors from a real server', () => {
  it('an aborted resumable upload leaves no object', async () => {
    const store = await openGcs(`abort-${++runs}`);
    const controller = new AbortController();
    const reason = new Error('stop');
    const put = store.put('big', Buffer.alloc(12 * MiB, 1), { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 5);
    await expect(put).rejects.toBe(reason);
    expect(await store.head('big')).toBeUndefined();
    await store.close();
  });

  it('a server that does not answer is unavailable (retriable)', async () => {
    const store = await openObjectStore(`gs://${BUCKET}/errors?endpoint=http://127.0.0.1:${await freePort()}`);
    expect(await codeOf(store.head('x'))).toBe('unavailable (retriable)');
    expect(await codeOf(store.get('x'))).toBe('unavailable (retriable)');
    await store.close();
  });
});
