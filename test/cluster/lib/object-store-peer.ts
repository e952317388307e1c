// The object store a local cluster shares: MinIO (S3) by default, fake-gcs-server (GCS)
// with `gcs`, each a real server on a loopback port with the bucket created, or a local
// directory (`file`) when neither is wanted. Returns the URL and the environment its
// processes need (S3 credentials).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openObjectStore } from '@stratus/objectstore';
import { startFakeGcs, startMinio } from '@stratus/objectstore/testing';

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

export async function startObjectStore(kind: ObjectStoreKind, dataDir: string): Promise<ObjectStorePeer> {
  if (kind === 'file') {
    const dir = join(dataDir, 'objects');
    mkdirSync(dir, { recursive: true });
    return { kind, url: `file://${dir}`, env: {}, endpoint: undefined, stop: async () => undefined };
  }
  if (kind === 'minio') {
    const minio = await startMinio();
    const url = `s3://${BUCKET}/cluster?endpoint=${minio.endpoint}&region=us-east-1`;
    const credentials = { accessKeyId: minio.accessKeyId, secretAccessKey: minio.secretAccessKey };
    const store = await openObjectStore(url, { createBucket: true, s3: { credentials } });
    await store.close();
    return { kind, url, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_REGION: 'us-east-1' }, endpoint: minio.endpoint, stop: () => minio.stop() };
  }
  const gcs = await startFakeGcs();
  const url = `gs://${BUCKET}/cluster?endpoint=${gcs.endpoint}`;
  const store = await openObjectStore(url, { createBucket: true });
  await store.close();
  return { kind, url, env: {}, endpoint: gcs.endpoint, stop: () => gcs.stop() };
}
