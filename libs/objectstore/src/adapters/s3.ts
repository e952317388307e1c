// s3://bucket/prefix — Amazon S3 and S3-compatible servers (MinIO). The only file that
// imports @aws-sdk/client-s3. Not for retries (the SDK's are off: maxAttempts 1; withRetry
// does it), timeouts, metrics or logging: wrappers add those.
//
// Large bodies (from `multipartThresholdBytes`) go up as a multipart upload of
// `partSizeBytes` parts, several in flight, aborted on any failure so no parts linger
// (S3 bills for them). Conditions go on the final CompleteMultipartUpload, so a losing
// ifNoneMatch writer learns it only after uploading: acceptable for the rare large object.
// Keys are `<prefix><key>`; list strips the prefix again.

import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { ObjectStoreError } from '../object-store.ts';
import type { ByteRange, ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, ReadOptions } from '../object-store.ts';
import { bodyChunks, bodyLength, splitBody } from '../internal/body.ts';
import type { Body } from '../internal/body.ts';
import { checkKey, pageLimit } from '../internal/keys.ts';
import { checkRange } from '../internal/range.ts';
import { forEachLimited, throwIfAborted } from '../internal/abort.ts';
import { s3Error } from './s3-errors.ts';

const MiB = 1024 * 1024;
/** S3's smallest part (except the last) and largest part count. */
const MIN_PART_BYTES = 5 * MiB;
const MAX_PARTS = 10_000;

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3StoreConfig {
  readonly bucket: string;
  /** Prepended to every key: empty, or ending with `/`. */
  readonly prefix: string;
  /** For S3-compatible servers, e.g. `http://127.0.0.1:9000`. */
  readonly endpoint?: string;
  /** Default: the SDK's chain (AWS_REGION, config files); `us-east-1` with a custom endpoint. */
  readonly region?: string;
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO needs. */
  readonly forcePathStyle?: boolean;
  /** Default: the SDK's credential chain (AWS_ACCESS_KEY_ID..., profiles, IMDS). */
  readonly credentials?: S3Credentials;
  /** Bodies of at least this size use a multipart upload. Default 32 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Default 16 MiB; at least 5 MiB (S3's minimum); grown when a body would need over 10,000 parts. */
  readonly partSizeBytes?: number;
  /** Parts in flight per upload. Default 4. */
  readonly multipartConcurrency?: number;
  /** Keys per DeleteObjects request. Default and maximum 1000. */
  readonly deleteBatchSize?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly url: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly thresholdBytes: number;
  private readonly partBytes: number;
  private readonly concurrency: number;
  private readonly deleteBatch: number;

  constructor(url: string, config: S3StoreConfig) {
    this.url = url;
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.partBytes = config.partSizeBytes ?? 16 * MiB;
    this.thresholdBytes = config.multipartThresholdBytes ?? 32 * MiB;
    this.concurrency = config.multipartConcurrency ?? 4;
    this.deleteBatch = Math.min(config.deleteBatchSize ?? 1000, 1000);
    if (!(this.partBytes >= MIN_PART_BYTES)) throw new ObjectStoreError('invalid_argument', 'open', undefined, `${url}: partSizeBytes must be at least ${MIN_PART_BYTES}`);
    if (!(this.concurrency >= 1) || !(this.deleteBatch >= 1)) throw new ObjectStoreError('invalid_argument', 'open', undefined, `${url}: multipartConcurrency and deleteBatchSize must be positive`);
    const region = config.region ?? (config.endpoint !== undefined ? 'us-east-1' : undefined);
    const clientConfig: S3ClientConfig = {
      maxAttempts: 1, // retrying is withRetry's job, with our backoff and our metrics
      ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
      ...(region !== undefined ? { region } : {}),
      ...(config.forcePathStyle !== undefined ? { forcePathStyle: config.forcePathStyle } : {}),
      ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
    };
    this.client = new S3Client(clientConfig);
  }

  /** Creates the bucket unless it exists (dev setups and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const name = (err as { name?: unknown }).name;
      if (name === 'BucketAlreadyOwnedByYou') return;
      throw s3Error(err, 'createBucket', this.bucket);
    }
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    checkKey(key, 'put');
    if (options?.ifNoneMatch === true && options.ifMatch !== undefined) {
      throw new ObjectStoreError('invalid_argument', 'put', key, 'ifNoneMatch and ifMatch together');
    }
    throwIfAborted(options?.signal);
    const size = bodyLength(body);
    try {
      const etag = size >= this.thresholdBytes ? await this.putMultipart(key, body, size, options) : await this.putSingle(key, body, size, options);
      return { key, size, etag };
    } catch (err) {
      throw this.error(err, 'put', key, options, true);
    }
  }

  async get(key: string, range?: ByteRange, options?: ReadOptions): Promise<Buffer> {
    checkKey(key, 'get');
    checkRange(range, key);
    throwIfAborted(options?.signal);
    if (range !== undefined && range.start === range.end) return this.emptyRange(key, range, options);
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end - 1}` } : {}),
        }),
        sendOptions(options?.signal),
      );
      return await readBody(res.Body, res.ContentLength, options?.signal);
    } catch (err) {
      throw this.error(err, 'get', key, options);
    }
  }

  async head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined> {
    checkKey(key, 'head');
    throwIfAborted(options?.signal);
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), sendOptions(options?.signal));
      return { key, size: res.ContentLength ?? 0, etag: res.ETag ?? '' };
    } catch (err) {
      const e = this.error(err, 'head', key, options);
      // HEAD answers have no body, so a missing bucket is a bare 404 as well.
      if (e instanceof ObjectStoreError && e.code === 'not_found') return undefined;
      throw e;
    }
  }

  async delete(key: string, options?: ReadOptions): Promise<void> {
    checkKey(key, 'delete');
    throwIfAborted(options?.signal);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), sendOptions(options?.signal));
    } catch (err) {
      const e = this.error(err, 'delete', key, options);
      if (e instanceof ObjectStoreError && e.code === 'not_found') return;
      throw e;
    }
  }

  async deleteMany(keys: readonly string[], options?: ReadOptions): Promise<void> {
    for (const key of keys) checkKey(key, 'deleteMany');
    for (let i = 0; i < keys.length; i += this.deleteBatch) {
      throwIfAborted(options?.signal);
      const batch = keys.slice(i, i + this.deleteBatch);
      try {
        const res = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.prefix + k })), Quiet: true } }),
          sendOptions(options?.signal),
        );
        // DeleteObjects answers 200 and lists per-key failures in the body.
        const failed = (res.Errors ?? []).find((e) => e.Code !== 'NoSuchKey');
        if (failed !== undefined) {
          const key = failed.Key?.slice(this.prefix.length);
          throw new ObjectStoreError(s3CodeOf(failed.Code), 'deleteMany', key, `${failed.Code ?? 'error'}: ${failed.Message ?? ''}`);
        }
      } catch (err) {
        throw this.error(err, 'deleteMany', undefined, options);
      }
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    const limit = pageLimit(options?.limit, prefix);
    throwIfAborted(options?.signal);
    try {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: limit,
          ...(options?.cursor !== undefined ? { ContinuationToken: options.cursor } : {}),
        }),
        sendOptions(options?.signal),
      );
      const objects = (res.Contents ?? []).map((o) => ({
        key: (o.Key ?? '').slice(this.prefix.length),
        size: o.Size ?? 0,
        etag: o.ETag ?? '',
        ...(o.LastModified !== undefined ? { lastModifiedMs: o.LastModified.getTime() } : {}),
      }));
      return res.IsTruncated === true && res.NextContinuationToken !== undefined ? { objects, cursor: res.NextContinuationToken } : { objects };
    } catch (err) {
      throw this.error(err, 'list', prefix, options);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async putSingle(key: string, body: Body, size: number, options: PutOptions | undefined): Promise<string> {
    const res = await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        Body: sdkBody(body),
        ContentLength: size,
        ...conditions(options),
      }),
      sendOptions(options?.signal),
    );
    return res.ETag ?? '';
  }

  private async putMultipart(key: string, body: Body, size: number, options: PutOptions | undefined): Promise<string> {
    const Key = this.prefix + key;
    const partBytes = Math.max(this.partBytes, Math.ceil(size / MAX_PARTS));
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }), sendOptions(options?.signal));
    const UploadId = created.UploadId;
    if (UploadId === undefined) throw new ObjectStoreError('internal', 'put', key, 'CreateMultipartUpload returned no UploadId');
    // Stops the other parts at the first failure instead of uploading them for nothing.
    const stop = new AbortController();
    const signal = options?.signal !== undefined ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    try {
      const parts = splitBody(body, partBytes);
      const etags: string[] = [];
      await forEachLimited(parts, this.concurrency, async (part, i) => {
        try {
          const res = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: i + 1, Body: sdkBody(part), ContentLength: bodyLength(part) }),
            sendOptions(signal),
          );
          etags[i] = res.ETag ?? '';
        } catch (err) {
          stop.abort(err);
          throw err;
        }
      });
      const done = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId,
          MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
          ...conditions(options),
        }),
        sendOptions(options?.signal),
      );
      return done.ETag ?? '';
    } catch (err) {
      // Best effort and without the caller's signal: an abandoned upload costs money
      // until a bucket lifecycle rule removes it.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => undefined);
      throw err;
    }
  }

  /** An empty range [n, n) cannot be asked of S3 (`bytes=n-(n-1)` means the whole object). */
  private async emptyRange(key: string, range: ByteRange, options: ReadOptions | undefined): Promise<Buffer> {
    const info = await this.head(key, options);
    if (info === undefined) throw new ObjectStoreError('not_found', 'get', key, 'no such object');
    if (range.start >= info.size) throw new ObjectStoreError('invalid_range', 'get', key, `range [${range.start}, ${range.end}) starts at or past the end (${info.size} bytes)`);
    return Buffer.alloc(0);
  }

  private error(err: unknown, operation: string, key: string | undefined, options: ReadOptions | undefined, conditional = false): unknown {
    if (options?.signal?.aborted === true) return options.signal.reason;
    const e = s3Error(err, operation, key);
    // If-Match on a missing key is a 404 from S3; in our terms the condition failed.
    if (conditional && e.code === 'not_found' && (options as PutOptions | undefined)?.ifMatch !== undefined) {
      return new ObjectStoreError('precondition_failed', operation, key, 'does not exist', { cause: err });
    }
    return e;
  }
}

function conditions(options: PutOptions | undefined): { IfNoneMatch?: string; IfMatch?: string } {
  if (options?.ifNoneMatch === true) return { IfNoneMatch: '*' };
  if (options?.ifMatch !== undefined) return { IfMatch: options.ifMatch };
  return {};
}

function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal !== undefined ? { abortSignal: signal } : {};
}

/** One buffer as is; several chunks as a stream of them, so nothing is concatenated. */
function sdkBody(body: Body): Uint8Array | Readable {
  const chunks = bodyChunks(body);
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  return Readable.from(chunks);
}

function s3CodeOf(code: string | undefined): ObjectStoreError['code'] {
  return s3Error({ name: code ?? 'InternalError' }, 'deleteMany', undefined).code;
}

/** Reads a GetObject body into one buffer, sized up front when the length is known. */
async function readBody(body: unknown, contentLength: number | undefined, signal: AbortSignal | undefined): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  const stream = body as Readable;
  const onAbort = (): void => void stream.destroy(signal?.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (contentLength !== undefined) {
      const out = Buffer.allocUnsafe(contentLength);
      let n = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (n + chunk.length > contentLength) throw new ObjectStoreError('internal', 'get', undefined, `body longer than Content-Length ${contentLength}`);
        out.set(chunk, n);
        n += chunk.length;
      }
      if (n !== contentLength) throw new ObjectStoreError('unavailable', 'get', undefined, `body cut short: ${n} of ${contentLength} bytes`);
      return out;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
