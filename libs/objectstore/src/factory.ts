// Picks the backend by URL scheme: s3://, gs://, file://, memory://. The one place that
// reads store URLs, so config validation and error messages agree. Loads the S3 and GCS
// adapters (and so their SDKs) only when such a URL is opened: `stratus dev` on file://
// never loads either SDK.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock, systemRandom } from '@stratus/runtime';
import type { Clock, Random } from '@stratus/runtime';
import { ObjectStoreError } from './object-store.ts';
import type { ObjectStore } from './object-store.ts';
import { MemoryObjectStore } from './adapters/memory.ts';
import { FileObjectStore } from './adapters/file.ts';
import type { S3StoreConfig } from './adapters/s3.ts';
import type { GcsStoreConfig } from './adapters/gcs.ts';
import { backoffDelayMs } from './wrappers/with-retry.ts';

export type ParsedObjectStoreUrl =
  | { readonly scheme: 'memory'; readonly name: string }
  | { readonly scheme: 'file'; readonly root: string }
  | { readonly scheme: 's3'; readonly bucket: string; readonly prefix: string; readonly endpoint?: string; readonly region?: string; readonly forcePathStyle?: boolean }
  | { readonly scheme: 'gs'; readonly bucket: string; readonly prefix: string; readonly endpoint?: string; readonly projectId?: string };

/** Settings that do not belong in a URL: credentials and tuning. */
export interface OpenObjectStoreOptions {
  readonly s3?: Pick<S3StoreConfig, 'credentials' | 'multipartThresholdBytes' | 'partSizeBytes' | 'multipartConcurrency' | 'deleteBatchSize'>;
  readonly gcs?: Pick<GcsStoreConfig, 'projectId' | 'resumableThresholdBytes' | 'chunkSizeBytes' | 'deleteConcurrency'>;
  /**
   * s3:// and gs://: create the bucket when it does not exist (dev setups, tests). A
   * retriable answer (throttled, unavailable, timeout — e.g. MinIO's 503 "server not
   * initialized yet" just after its readiness probe passed) is retried with backoff, at most
   * CREATE_BUCKET_ATTEMPTS times (about 10 s in all).
   */
  readonly createBucket?: boolean;
  /** The backoff's clock and jitter while creating the bucket (tests). */
  readonly clock?: Clock;
  readonly random?: Random;
  /** Base of `file://./relative` URLs. Default: the process's working directory. */
  readonly cwd?: string;
}

const SCHEMES = 's3://, gs://, file://, memory://';

function invalid(url: string, why: string): ObjectStoreError {
  return new ObjectStoreError('invalid_argument', 'open', undefined, `object store URL '${url}': ${why}`);
}

/**
 * Parses a store URL without opening anything (for config validation). Forms:
 * `memory://name`, `file:///abs/path`, `file://./relative`,
 * `s3://bucket/prefix?endpoint=http://host:9000&region=us-east-1&forcePathStyle=true`,
 * `gs://bucket/prefix?endpoint=http://host:4443&project=p`.
 */
export function parseObjectStoreUrl(url: string, cwd: string = process.cwd()): ParsedObjectStoreUrl {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw invalid(url, `not a URL; expected one of ${SCHEMES}`);
  const rest = url.slice(scheme.length + 3);
  switch (scheme) {
    case 'memory':
      if (/[/?#]/.test(rest)) throw invalid(url, 'memory://NAME takes a plain name');
      return { scheme, name: rest };
    case 'file':
      return { scheme, root: parseFileRoot(url, rest, cwd) };
    case 's3':
    case 'gs':
      return parseBucketUrl(url, scheme);
    default:
      throw invalid(url, `unknown scheme '${scheme}://'; expected one of ${SCHEMES}`);
  }
}

/** Opens the store a URL names. Credentials come from the environment (or `options`), never the URL. */
export async function openObjectStore(url: string, options: OpenObjectStoreOptions = {}): Promise<ObjectStore> {
  const parsed = parseObjectStoreUrl(url, options.cwd);
  switch (parsed.scheme) {
    case 'memory':
      return new MemoryObjectStore(parsed.name);
    case 'file':
      return FileObjectStore.open(parsed.root, url);
    case 's3': {
      const { S3ObjectStore } = await import('./adapters/s3.ts');
      const { scheme: _scheme, ...location } = parsed;
      const store = new S3ObjectStore(url, { ...location, ...options.s3 });
      if (options.createBucket === true) await ensureBucketRetrying(store, options);
      return store;
    }
    case 'gs': {
      const { GcsObjectStore } = await import('./adapters/gcs.ts');
      const { scheme: _scheme, ...location } = parsed;
      const store = new GcsObjectStore(url, { ...location, ...options.gcs });
      if (options.createBucket === true) await ensureBucketRetrying(store, options);
      return store;
    }
  }
}

export const CREATE_BUCKET_ATTEMPTS = 8;

async function ensureBucketRetrying(store: { ensureBucket(): Promise<void> }, options: OpenObjectStoreOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.ensureBucket();
      return;
    } catch (err) {
      if (!(err instanceof ObjectStoreError) || !err.retriable || attempt >= CREATE_BUCKET_ATTEMPTS) throw err;
      await clock.sleep(backoffDelayMs(attempt, 250, 2000, random));
    }
  }
}

function parseFileRoot(url: string, rest: string, cwd: string): string {
  if (/[?#]/.test(rest)) throw invalid(url, 'file URLs take no query or fragment');
  if (rest.startsWith('/') || rest.startsWith('localhost/')) {
    const root = fileURLToPath(url);
    if (root === '/') throw invalid(url, 'refusing the file-system root as a store');
    return root;
  }
  if (rest === '.' || rest.startsWith('./') || rest.startsWith('../')) return path.resolve(cwd, decodeURIComponent(rest));
  throw invalid(url, 'use file:///absolute/path or file://./relative/path');
}

function parseBucketUrl(url: string, scheme: 's3' | 'gs'): ParsedObjectStoreUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw invalid(url, `malformed: ${(err as Error).message}`);
  }
  if (u.username !== '' || u.password !== '') throw invalid(url, 'credentials do not belong in the URL; use the environment');
  if (u.port !== '') throw invalid(url, 'a bucket has no port; the server goes in ?endpoint=');
  if (u.hash !== '') throw invalid(url, 'no fragment allowed');
  const bucket = u.hostname;
  if (bucket === '') throw invalid(url, `no bucket; expected ${scheme}://bucket/prefix`);
  let prefix = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (prefix.startsWith('/') || prefix.includes('//')) throw invalid(url, 'prefix has an empty segment');

  const allowed = scheme === 's3' ? ['endpoint', 'region', 'forcePathStyle'] : ['endpoint', 'project'];
  for (const name of u.searchParams.keys()) {
    if (!allowed.includes(name)) throw invalid(url, `unknown parameter '${name}' (allowed: ${allowed.join(', ')})`);
  }
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(endpoint)) throw invalid(url, `endpoint must be http(s)://host[:port], got '${endpoint}'`);
  const withEndpoint = endpoint !== undefined ? { endpoint: endpoint.replace(/\/$/, '') } : {};
  if (scheme === 'gs') {
    const project = u.searchParams.get('project') ?? undefined;
    return { scheme, bucket, prefix, ...withEndpoint, ...(project !== undefined ? { projectId: project } : {}) };
  }
  const region = u.searchParams.get('region') ?? undefined;
  const style = u.searchParams.get('forcePathStyle') ?? undefined;
  if (style !== undefined && style !== 'true' && style !== 'false') throw invalid(url, `forcePathStyle must be true or false, got '${style}'`);
  return {
    scheme,
    bucket,
    prefix,
    ...withEndpoint,
    ...(region !== undefined ? { region } : {}),
    ...(style !== undefined ? { forcePathStyle: style === 'true' } : {}),
  };
}
