// A Map-backed ObjectStore for the cache tests that counts GETs and can fail or hold them.
// Deliberately not the official memory:// adapter: the cache tests need to see every GET
// and its range, and to inject failures and latency exactly where they want them.

import type { ByteRange, ListPage, ObjectInfo, ObjectStore } from '@stratus/objectstore';
import { ObjectStoreError } from '@stratus/objectstore';

export interface RecordedGet {
  readonly key: string;
  readonly range: ByteRange | undefined;
}

export class CountingStore implements ObjectStore {
  readonly url = 'counting-memory://test';
  readonly objects = new Map<string, Buffer>();
  readonly gets: RecordedGet[] = [];
  /** Errors the next GETs throw, one per GET, in order. */
  readonly failures: Error[] = [];
  /** Awaited by every GET before it answers: latency, or a gate a test opens later. */
  latency: (key: string, range: ByteRange | undefined) => Promise<void> = () => new Promise((resolve) => setImmediate(resolve));

  get getCount(): number {
    return this.gets.length;
  }

  /** Stores `size` deterministic pseudo-random bytes under `key` and returns them. */
  addObject(key: string, size: number, seed = 1): Buffer {
    const bytes = Buffer.allocUnsafe(size);
    let x = (seed * 2654435761) >>> 0 || 1;
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    this.objects.set(key, bytes);
    return bytes;
  }

  async put(key: string, body: Uint8Array | readonly Uint8Array[]): Promise<ObjectInfo> {
    const bytes = body instanceof Uint8Array ? Buffer.from(body) : Buffer.concat(body);
    this.objects.set(key, bytes);
    return { key, size: bytes.length, etag: String(bytes.length) };
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    this.gets.push({ key, range });
    await this.latency(key, range);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const bytes = this.objects.get(key);
    if (bytes === undefined) throw new ObjectStoreError('not_found', 'get', key, 'no such object');
    if (range === undefined) return Buffer.from(bytes);
    if (range.start >= bytes.length) throw new ObjectStoreError('invalid_range', 'get', key, `start ${range.start} of ${bytes.length}`);
    // A copy, like bytes off the network: the cache must not rely on sharing our buffer.
    return Buffer.from(bytes.subarray(range.start, Math.min(range.end, bytes.length)));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const bytes = this.objects.get(key);
    return bytes === undefined ? undefined : { key, size: bytes.length, etag: String(bytes.length) };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }

  async list(prefix: string): Promise<ListPage> {
    const objects = [...this.objects.keys()]
      .filter((k) => k.startsWith(prefix))
      .sort()
      .map((key) => ({ key, size: this.objects.get(key)!.length, etag: '' }));
    return { objects };
  }

  async close(): Promise<void> {}
}

/** A gate: `wait()` promises resolve together when `open()` is called. */
export class Gate {
  private opened = false;
  private waiters: (() => void)[] = [];

  wait(): Promise<void> {
    if (this.opened) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    this.opened = true;
    for (const resolve of this.waiters) resolve();
    this.waiters = [];
  }

  get waiting(): number {
    return this.waiters.length;
  }
}
