// openObjectStore / parseObjectStoreUrl: the right backend per scheme, and errors that
// name the URL and what is wrong with it.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clock } from '@stratus/runtime';
import { CREATE_BUCKET_ATTEMPTS, FileObjectStore, MemoryObjectStore, ObjectStoreError, openObjectStore, parseObjectStoreUrl } from '../src/index.ts';

describe('parseObjectStoreUrl', () => {
  it('parses each scheme', () => {
    expect(parseObjectStoreUrl('memory://sim-1')).toEqual({ scheme: 'memory', name: 'sim-1' });
    expect(parseObjectStoreUrl('file:///var/lib/stratus/objects')).toEqual({ scheme: 'file', root: '/var/lib/stratus/objects' });
    expect(parseObjectStoreUrl('file://./data/objects', '/home/me/stratus')).toEqual({ scheme: 'file', root: '/home/me/stratus/data/objects' });
    expect(parseObjectStoreUrl('file://../shared', '/home/me/stratus')).toEqual({ scheme: 'file', root: '/home/me/shared' });
    expect(parseObjectStoreUrl('s3://bucket/some/prefix?endpoint=http://127.0.0.1:9000&region=eu-west-1&forcePathStyle=true')).toEqual({
      scheme: 's3',
      bucket: 'bucket',
      prefix: 'some/prefix/',
      endpoint: 'http://127.0.0.1:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
    });
    expect(parseObjectStoreUrl('s3://bucket')).toEqual({ scheme: 's3', bucket: 'bucket', prefix: '' });
    expect(parseObjectStoreUrl('s3://bucket/p/')).toMatchObject({ prefix: 'p/' });
    expect(parseObjectStoreUrl('gs://bkt/data?endpoint=http://127.0.0.1:4443/&project=dev')).toEqual({
      scheme: 'gs',
      bucket: 'bkt',
      prefix: 'data/',
      endpoint: 'http://127.0.0.1:4443',
      projectId: 'dev',
    });
  });

  it.each([
    ['ftp://host/x', /unknown scheme 'ftp:\/\/'/],
    ['not a url', /not a URL/],
    ['/plain/path', /not a URL/],
    ['s3://', /no bucket/],
    ['s3://key:secret@bucket/x', /credentials do not belong in the URL/],
    ['s3://bucket/x?endpoint=http://h:9000&regoin=x', /unknown parameter 'regoin'/],
    ['s3://bucket/x?forcePathStyle=yes', /forcePathStyle must be true or false/],
    ['s3://bucket:9000/x', /no port/],
    ['gs://bucket/x?region=x', /unknown parameter 'region'/],
    ['gs://bucket/x?endpoint=127.0.0.1:4443', /endpoint must be http/],
    ['file://data/objects', /file:\/\/\/absolute\/path or file:\/\/.\/relative/],
    ['file:///', /file-system root/],
    ['file:///x?y=1', /no query/],
    ['memory://a/b', /plain name/],
  ])('rejects %s, naming the URL', (url, why) => {
    let err: unknown;
    try {
      parseObjectStoreUrl(url);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ObjectStoreError);
    expect((err as ObjectStoreError).code).toBe('invalid_argument');
    expect((err as Error).message).toContain(`'${url}'`);
    expect((err as Error).message).toMatch(why);
  });
});

describe('openObjectStore', () => {
  it('opens memory and file stores, creating the file root', async () => {
    const memory = await openObjectStore('memory://x');
    expect(memory).toBeInstanceOf(MemoryObjectStore);
    expect(memory.url).toBe('memory://x');

    const dir = await mkdtemp(path.join(os.tmpdir(), 'stratus-factory-'));
    try {
      const file = await openObjectStore('file://./nested/objects', { cwd: dir });
      expect(file).toBeInstanceOf(FileObjectStore);
      expect((file as FileObjectStore).root).toBe(path.join(dir, 'nested/objects'));
      await file.put('a/b', Buffer.from('x'));
      await expect((await openObjectStore(`file://${dir}/nested/objects`)).head('a/b')).resolves.toMatchObject({ size: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('opens s3 and gs stores without contacting anything', async () => {
    const s3 = await openObjectStore('s3://b/p?endpoint=http://127.0.0.1:1&forcePathStyle=true', { s3: { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } });
    expect(s3.url).toBe('s3://b/p?endpoint=http://127.0.0.1:1&forcePathStyle=true');
    await s3.close();
    const gs = await openObjectStore('gs://b/p?endpoint=http://127.0.0.1:1');
    expect(gs.url).toBe('gs://b/p?endpoint=http://127.0.0.1:1');
    await gs.close();
  });

  it('refuses an S3 part size below S3’s minimum', async () => {
    await expect(openObjectStore('s3://b/p?endpoint=http://127.0.0.1:1', { s3: { partSizeBytes: 1024 } })).rejects.toThrow(/partSizeBytes/);
  });

  it("creates a bucket through a server's 503s (MinIO's 'not initialized yet'), within CREATE_BUCKET_ATTEMPTS, and names the error when they never end", async () => {
    let refusals = 2;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      if (refusals-- > 0) {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>XMinioServerNotInitialized</Code><Message>Server not initialized yet, please try again.</Message></Error>');
      } else res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const slept: number[] = [];
    const clock: Clock = { nowMs: () => 0, monotonicMs: () => 0, sleep: async (ms) => void slept.push(ms) };
    const url = `s3://b/p?endpoint=http://127.0.0.1:${(server.address() as AddressInfo).port}&forcePathStyle=true`;
    const s3 = { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
    try {
      await (await openObjectStore(url, { createBucket: true, clock, s3 })).close();
      expect(seen).toEqual(['PUT /b/', 'PUT /b/', 'PUT /b/']);
      expect(slept).toHaveLength(2);
      refusals = Number.POSITIVE_INFINITY;
      seen.length = 0;
      await expect(openObjectStore(url, { createBucket: true, clock, s3 })).rejects.toMatchObject({ code: 'throttled', operation: 'createBucket' });
      expect(seen).toHaveLength(CREATE_BUCKET_ATTEMPTS);
    } finally {
      server.close();
    }
  });
});
