// gs://bucket/prefix — Google Cloud Storage, or fake-gcs-server with `?endpoint=`. The
// only file that imports @google-cloud/storage. Not for retries (the SDK's are off:
// autoRetry false; withRetry does it), timeouts, metrics or logging.
//
// Etag = the object's generation, so ifMatch is ifGenerationMatch and ifNoneMatch is
// ifGenerationMatch 0. Bodies below `resumableThresholdBytes` go up in one multipart
// request; larger ones as a resumable upload (one streamed request unless
// `chunkSizeBytes` is set, since our retries start over anyway). With a custom endpoint
// requests are anonymous, as emulators expect. The SDK takes no AbortSignal for metadata
// calls: those are abandoned (not cancelled) on abort; uploads and downloads are streams
// and are destroyed.
//
// Known noise: SDK 8.x prints a MaxListenersExceededWarning on streamed downloads of larger
// objects (googleapis/google-cloud-node#9185, inside teeny-request); harmless, not ours.

import { Storage } from '@google-cloud/storage';
import type { Bucket, CreateWriteStreamOptions, StorageOptions } from '@google-cloud/storage';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ObjectStoreError } from '../object-store.ts';
import type { ByteRange, ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, ReadOptions } from '../object-store.ts';
import { bodyChunks, bodyLength } from '../internal/body.ts';
import type { Body } from '../internal/body.ts';
import { checkKey, pageLimit } from '../internal/keys.ts';
import { checkRange } from '../internal/range.ts';
import { abortable, forEachLimited, throwIfAborted } from '../internal/abort.ts';
import { gcsError } from './gcs-errors.ts';

const MiB = 1024 * 1024;

export interface GcsStoreConfig {
  readonly bucket: string;
  /** Prepended to every key: empty, or ending with `/`. */
  readonly prefix: string;
  /** An emulator's address, e.g. `http://127.0.0.1:4443`; requests are then anonymous. */
  readonly endpoint?: string;
  /** Default: from the credentials; `stratus` with a custom endpoint. */
  readonly projectId?: string;
  /** Bodies of at least this size use a resumable upload. Default 32 MiB. */
  readonly resumableThresholdBytes?: number;
  /** Resumable uploads in requests of this size (a multiple of 256 KiB); default one request. */
  readonly chunkSizeBytes?: number;
  /** Deletes in flight for deleteMany (GCS has no batch delete in this SDK). Default 16. */
  readonly deleteConcurrency?: number;
}

export class GcsObjectStore implements ObjectStore {
  readonly url: string;
  private readonly storage: Storage;
  private readonly bucket: Bucket;
  private readonly prefix: string;
  private readonly resumableBytes: number;
  private readonly chunkBytes: number | undefined;
  private readonly deleteConcurrency: number;

  constructor(url: string, config: GcsStoreConfig) {
    this.url = url;
    this.prefix = config.prefix;
    this.resumableBytes = config.resumableThresholdBytes ?? 32 * MiB;
    this.chunkBytes = config.chunkSizeBytes;
    this.deleteConcurrency = config.deleteConcurrency ?? 16;
    const projectId = config.projectId ?? (config.endpoint !== undefined ? 'stratus' : undefined);
    const options: StorageOptions = {
      retryOptions: { autoRetry: false, maxRetries: 0 }, // withRetry retries, with our backoff and metrics
      ...(config.endpoint !== undefined ? { apiEndpoint: config.endpoint } : {}),
      ...(projectId !== undefined ? { projectId } : {}),
    };
    this.storage = new Storage(options);
    this.bucket = this.storage.bucket(config.bucket);
  }

  /** Creates the bucket unless it exists (dev setups and tests; production buckets are provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.bucket.create();
    } catch (err) {
      if ((err as { code?: unknown }).code === 409) return;
      throw gcsError(err, 'createBucket', this.bucket.name);
    }
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    checkKey(key, 'put');
    if (options?.ifNoneMatch === true && options.ifMatch !== undefined) {
      throw new ObjectStoreError('invalid_argument', 'put', key, 'ifNoneMatch and ifMatch together');
    }
    if (options?.ifMatch !== undefined && !/^[1-9][0-9]*$/.test(options.ifMatch)) {
      // Not a generation, so no version of the object can have it.
      throw new ObjectStoreError('precondition_failed', 'put', key, `etag ${options.ifMatch} is not a GCS generation`);
    }
    throwIfAborted(options?.signal);
    const size = bodyLength(body);
    const file = this.bucket.file(this.prefix + key);
    const resumable = size >= this.resumableBytes;
    const streamOptions: CreateWriteStreamOptions = {
      resumable,
      metadata: { contentType: 'application/octet-stream' },
      ...(resumable && this.chunkBytes !== undefined ? { chunkSize: this.chunkBytes } : {}),
      ...(options?.ifNoneMatch === true ? { preconditionOpts: { ifGenerationMatch: 0 } } : {}),
      ...(options?.ifMatch !== undefined ? { preconditionOpts: { ifGenerationMatch: options.ifMatch } } : {}),
    };
    try {
      await pipeline(Readable.from(bodyChunks(body)), file.createWriteStream(streamOptions), signalOption(options?.signal));
    } catch (err) {
      throw this.error(err, 'put', key, options?.signal);
    }
    const generation = file.metadata.generation;
    if (generation === undefined) throw new ObjectStoreError('internal', 'put', key, 'upload finished without a generation');
    return { key, size, etag: String(generation) };
  }

  async get(key: string, range?: ByteRange, options?: ReadOptions): Promise<Buffer> {
    checkKey(key, 'get');
    checkRange(range, key);
    throwIfAborted(options?.signal);
    const file = this.bucket.file(this.prefix + key);
    if (range !== undefined && range.start === range.end) {
      // An empty range cannot be asked for; whether it is valid depends on the size.
      const info = await this.head(key, options);
      if (info === undefined) throw new ObjectStoreError('not_found', 'get', key, 'no such object');
      if (range.start >= info.size) throw new ObjectStoreError('invalid_range', 'get', key, `range [${range.start}, ${range.end}) starts at or past the end (${info.size} bytes)`);
      return Buffer.alloc(0);
    }
    // Whole downloads are checked against the stored CRC32C; the SDK cannot check a slice.
    const stream = file.createReadStream(range !== undefined ? { start: range.start, end: range.end - 1, validation: false } : {});
    const chunks: Buffer[] = [];
    const onAbort = (): void => void stream.destroy(options?.signal?.reason as Error);
    options?.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    } catch (err) {
      throw this.error(err, 'get', key, options?.signal);
    } finally {
      options?.signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined> {
    checkKey(key, 'head');
    throwIfAborted(options?.signal);
    try {
      const [metadata] = await abortable(this.bucket.file(this.prefix + key).getMetadata(), options?.signal);
      return { key, size: Number(metadata.size ?? 0), etag: String(metadata.generation ?? '') };
    } catch (err) {
      const e = this.error(err, 'head', key, options?.signal);
      if (e instanceof ObjectStoreError && e.code === 'not_found') return undefined;
      throw e;
    }
  }

  async delete(key: string, options?: ReadOptions): Promise<void> {
    checkKey(key, 'delete');
    throwIfAborted(options?.signal);
    try {
      await abortable(this.bucket.file(this.prefix + key).delete({ ignoreNotFound: true }), options?.signal);
    } catch (err) {
      throw this.error(err, 'delete', key, options?.signal);
    }
  }

  async deleteMany(keys: readonly string[], options?: ReadOptions): Promise<void> {
    for (const key of keys) checkKey(key, 'deleteMany');
    await forEachLimited(keys, this.deleteConcurrency, async (key) => {
      throwIfAborted(options?.signal);
      try {
        await abortable(this.bucket.file(this.prefix + key).delete({ ignoreNotFound: true }), options?.signal);
      } catch (err) {
        throw this.error(err, 'deleteMany', key, options?.signal);
      }
    });
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    const limit = pageLimit(options?.limit, prefix);
    throwIfAborted(options?.signal);
    try {
      const [files, next] = await abortable(
        this.bucket.getFiles({
          prefix: this.prefix + prefix,
          maxResults: limit,
          autoPaginate: false,
          ...(options?.cursor !== undefined ? { pageToken: options.cursor } : {}),
        }),
        options?.signal,
      );
      const objects = files.map((f) => {
        const updated = Date.parse(String(f.metadata.updated ?? f.metadata.timeCreated ?? ''));
        return {
          key: f.name.slice(this.prefix.length),
          size: Number(f.metadata.size ?? 0),
          etag: String(f.metadata.generation ?? ''),
          ...(Number.isFinite(updated) ? { lastModifiedMs: updated } : {}),
        };
      });
      const cursor = (next as { pageToken?: unknown } | null | undefined)?.pageToken;
      return typeof cursor === 'string' && cursor !== '' ? { objects, cursor } : { objects };
    } catch (err) {
      throw this.error(err, 'list', prefix, options?.signal);
    }
  }

  async close(): Promise<void> {}

  private error(err: unknown, operation: string, key: string, signal: AbortSignal | undefined): unknown {
    if (signal?.aborted === true) return signal.reason;
    return gcsError(err, operation, key);
  }
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal !== undefined ? { signal } : {};
}
