// memory://name — objects in a Map, for unit tests and simulations. Same semantics as the
// real backends (key rules, ranges, preconditions, list order and paging) and fully
// deterministic: etags come from a counter, never from time or randomness, and the write
// time `list` reports comes from the injected clock (a ManualClock in tests). Not shared
// between instances: to "reopen" a store in a simulation, keep the instance. Faults and
// latency are added by wrapping it (`withFaults` from @stratus/objectstore/testing).

import { systemClock } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import { ObjectStoreError } from '../object-store.ts';
import type { ByteRange, ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, ReadOptions } from '../object-store.ts';
import { concatBody } from '../internal/body.ts';
import type { Body } from '../internal/body.ts';
import { checkKey, compareKeys, pageLimit } from '../internal/keys.ts';
import { checkRange, resolveRange } from '../internal/range.ts';
import { throwIfAborted } from '../internal/abort.ts';

interface StoredObject {
  readonly data: Buffer;
  readonly etag: string;
  /** The clock's wall time at the put. */
  readonly writtenAtMs: number;
}

export interface MemoryObjectStoreOptions {
  /** Stamps each put with its write time (list's lastModifiedMs). Default: the system clock. */
  readonly clock?: Clock;
}

export class MemoryObjectStore implements ObjectStore {
  readonly url: string;
  private readonly objects = new Map<string, StoredObject>();
  private version = 0;
  private readonly clock: Clock;

  constructor(name = '', options: MemoryObjectStoreOptions = {}) {
    this.url = `memory://${name}`;
    this.clock = options.clock ?? systemClock;
  }

  /** Number of objects held (for tests and simulations). */
  get size(): number {
    return this.objects.size;
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    checkKey(key, 'put');
    throwIfAborted(options?.signal);
    const existing = this.objects.get(key);
    if (options?.ifNoneMatch === true && options.ifMatch !== undefined) {
      throw new ObjectStoreError('invalid_argument', 'put', key, 'ifNoneMatch and ifMatch together');
    }
    if (options?.ifNoneMatch === true && existing !== undefined) {
      throw new ObjectStoreError('precondition_failed', 'put', key, 'exists');
    }
    if (options?.ifMatch !== undefined && existing?.etag !== options.ifMatch) {
      throw new ObjectStoreError('precondition_failed', 'put', key, existing === undefined ? 'does not exist' : 'etag differs');
    }
    // A copy: the caller may reuse its buffers after the put resolves.
    const stored: StoredObject = { data: concatBody(body), etag: `m${++this.version}`, writtenAtMs: this.clock.nowMs() };
    this.objects.set(key, stored);
    return { key, size: stored.data.length, etag: stored.etag };
  }

  async get(key: string, range?: ByteRange, options?: ReadOptions): Promise<Buffer> {
    checkKey(key, 'get');
    checkRange(range, key);
    throwIfAborted(options?.signal);
    const stored = this.objects.get(key);
    if (stored === undefined) throw new ObjectStoreError('not_found', 'get', key, 'no such object');
    const { start, end } = resolveRange(range, stored.data.length, key);
    // A copy, so a caller writing into the result cannot change the stored object.
    return Buffer.from(stored.data.subarray(start, end));
  }

  async head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined> {
    checkKey(key, 'head');
    throwIfAborted(options?.signal);
    const stored = this.objects.get(key);
    return stored === undefined ? undefined : { key, size: stored.data.length, etag: stored.etag };
  }

  async delete(key: string, options?: ReadOptions): Promise<void> {
    checkKey(key, 'delete');
    throwIfAborted(options?.signal);
    this.objects.delete(key);
  }

  async deleteMany(keys: readonly string[], options?: ReadOptions): Promise<void> {
    for (const key of keys) checkKey(key, 'deleteMany');
    throwIfAborted(options?.signal);
    for (const key of keys) this.objects.delete(key);
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    const limit = pageLimit(options?.limit, prefix);
    throwIfAborted(options?.signal);
    const cursor = options?.cursor;
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix) && (cursor === undefined || compareKeys(k, cursor) > 0))
      .sort(compareKeys);
    const page = keys.slice(0, limit);
    const objects = page.map((key) => {
      const stored = this.objects.get(key) as StoredObject;
      return { key, size: stored.data.length, etag: stored.etag, lastModifiedMs: stored.writtenAtMs };
    });
    const last = page[page.length - 1];
    return keys.length > limit && last !== undefined ? { objects, cursor: last } : { objects };
  }

  async close(): Promise<void> {}
}
