// The ObjectStore contract: one suite of behaviours every backend must show, run against
// memory, file, MinIO (s3) and fake-gcs-server (gs) by contract.test.ts. A backend passes
// only if callers cannot tell it apart from the others through the interface.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectStoreError } from '../../src/index.ts';
import type { ObjectStore } from '../../src/index.ts';
import { compareKeys } from '../../src/internal/keys.ts';

export interface ContractOptions {
  /** Size of the large-body test, chosen to cross the backend's multipart threshold. Default 20 MiB. */
  readonly largeBodyBytes?: number;
  /** A part size of the backend, to read across a part boundary. Default 5 MiB. */
  readonly partBytes?: number;
}

const MiB = 1024 * 1024;

/** Deterministic bytes that differ at every offset within a part, so a misplaced part shows. */
export function pattern(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (i + 4 <= size) out.writeUInt32LE(x, i);
    else for (let j = i; j < size; j++) out[j] = (x >>> (8 * (j - i))) & 0xff;
  }
  return out;
}

async function expectCode(promise: Promise<unknown>, code: ObjectStoreError['code']): Promise<ObjectStoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(ObjectStoreError);
  expect((err as ObjectStoreError).code).toBe(code);
  return err as ObjectStoreError;
}

async function listAll(store: ObjectStore, prefix: string, limit: number): Promise<{ pages: number[]; keys: string[] }> {
  const pages: number[] = [];
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, { limit, ...(cursor !== undefined ? { cursor } : {}) });
    pages.push(page.objects.length);
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 100);
  return { pages, keys };
}

export function defineContract(name: string, makeStore: () => Promise<ObjectStore>, options: ContractOptions = {}): void {
  const largeBytes = options.largeBodyBytes ?? 20 * MiB;
  const partBytes = options.partBytes ?? 5 * MiB;

  describe(`ObjectStore contract: ${name}`, () => {
    let store: ObjectStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('round-trips a single-buffer body; put, head and get agree', async () => {
      const body = Buffer.from('hello, object store');
      const info = await store.put('rt/one', body);
      expect(info).toEqual({ key: 'rt/one', size: body.length, etag: expect.any(String) });
      expect(info.etag).not.toBe('');
      expect(await store.get('rt/one')).toEqual(body);
      expect(await store.head('rt/one')).toEqual(info);
    });

    it('writes a multi-chunk body back to back (Uint8Array and empty chunks included)', async () => {
      const chunks = [Buffer.from('abc'), new Uint8Array(0), new Uint8Array([100, 101]), Buffer.from('fgh')];
      const info = await store.put('rt/chunks', chunks);
      expect(info.size).toBe(8);
      expect((await store.get('rt/chunks')).toString()).toBe('abcdefgh');
    });

    it('stores an empty object; any range of it is invalid_range', async () => {
      await store.put('rt/empty', new Uint8Array(0));
      expect((await store.get('rt/empty')).length).toBe(0);
      expect((await store.head('rt/empty'))?.size).toBe(0);
      await expectCode(store.get('rt/empty', { start: 0, end: 1 }), 'invalid_range');
    });

    it('replaces an object; the etag changes', async () => {
      const first = await store.put('rt/replace', Buffer.from('version one'));
      const second = await store.put('rt/replace', Buffer.from('version two!'));
      expect(second.etag).not.toBe(first.etag);
      expect((await store.get('rt/replace')).toString()).toBe('version two!');
      expect(await store.head('rt/replace')).toEqual(second);
    });

    it('does not see later changes to the caller’s buffers', async () => {
      const body = Buffer.from('immutable');
      await store.put('rt/copy', body);
      body.fill(0);
      const got = await store.get('rt/copy');
      expect(got.toString()).toBe('immutable');
      got.fill(0);
      expect((await store.get('rt/copy')).toString()).toBe('immutable');
    });

    it('reads byte ranges: start inclusive, end exclusive, cut at the end', async () => {
      const body = pattern(100);
      await store.put('range/obj', body);
      const cases: Array<[number, number, number, number]> = [
        // [start, end) asked → [start, end) expected
        [0, 10, 0, 10],
        [10, 20, 10, 20],
        [90, 100, 90, 100],
        [99, 100, 99, 100],
        [0, 100, 0, 100],
        [95, 150, 95, 100],
        [0, 1000, 0, 100],
        [50, 50, 50, 50],
      ];
      for (const [start, end, from, to] of cases) {
        expect(await store.get('range/obj', { start, end }), `[${start}, ${end})`).toEqual(body.subarray(from, to));
      }
    });

    it('rejects ranges starting at or past the end as invalid_range, bad bounds as invalid_argument', async () => {
      await store.put('range/small', pattern(100));
      await expectCode(store.get('range/small', { start: 100, end: 101 }), 'invalid_range');
      await expectCode(store.get('range/small', { start: 100, end: 100 }), 'invalid_range');
      await expectCode(store.get('range/small', { start: 150, end: 200 }), 'invalid_range');
      await expectCode(store.get('range/small', { start: -1, end: 5 }), 'invalid_argument');
      await expectCode(store.get('range/small', { start: 5, end: 4 }), 'invalid_argument');
      await expectCode(store.get('range/small', { start: 1.5, end: 3 }), 'invalid_argument');
    });

    it('reports missing objects: get is not_found, head is undefined', async () => {
      const err = await expectCode(store.get('missing/x'), 'not_found');
      expect(err.retriable).toBe(false);
      expect(err.key).toBe('missing/x');
      await expectCode(store.get('missing/x', { start: 0, end: 10 }), 'not_found');
      await expectCode(store.get('missing/x', { start: 0, end: 0 }), 'not_found');
      expect(await store.head('missing/x')).toBeUndefined();
    });

    it('deletes idempotently', async () => {
      await store.put('del/one', Buffer.from('x'));
      await store.delete('del/one');
      expect(await store.head('del/one')).toBeUndefined();
      await expectCode(store.get('del/one'), 'not_found');
      await store.delete('del/one');
      await store.delete('del/never-existed');
    });

    it('deletes many, missing keys included, across batches', async () => {
      const keys = Array.from({ length: 25 }, (_, i) => `delmany/k${String(i).padStart(2, '0')}`);
      for (const key of keys) await store.put(key, Buffer.from(key));
      await store.deleteMany([...keys.slice(0, 20), 'delmany/missing-1', 'delmany/missing-2']);
      expect((await store.list('delmany/')).objects.map((o) => o.key)).toEqual(keys.slice(20));
      await store.deleteMany([]);
      await store.deleteMany(keys);
      expect((await store.list('delmany/')).objects).toEqual([]);
    });

    it('ifNoneMatch creates only: a second create is precondition_failed and changes nothing', async () => {
      const created = await store.put('cond/create', Buffer.from('first'), { ifNoneMatch: true });
      const err = await expectCode(store.put('cond/create', Buffer.from('second'), { ifNoneMatch: true }), 'precondition_failed');
      expect(err.retriable).toBe(false);
      expect((await store.get('cond/create')).toString()).toBe('first');
      expect((await store.head('cond/create'))?.etag).toBe(created.etag);
    });

    it('concurrent ifNoneMatch creates of one key: exactly one wins, the rest are precondition_failed', async () => {
      for (let round = 0; round < 3; round++) {
        const key = `cond/race-${round}`;
        const contenders = Array.from({ length: 4 }, (_, i) => Buffer.from(`contender ${i} of round ${round}`));
        const results = await Promise.allSettled(contenders.map((body) => store.put(key, body, { ifNoneMatch: true })));
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, info: r.value }] : []));
        expect(winners, `round ${round}`).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as ObjectStoreError).code).toBe('precondition_failed');
        }
        const winner = winners[0]!;
        expect(await store.get(key)).toEqual(contenders[winner.i]);
        expect((await store.head(key))?.etag).toBe(winner.info.etag);
      }
    });

    it('ifMatch replaces only the current version', async () => {
      const v1 = await store.put('cond/match', Buffer.from('one'));
      const v2 = await store.put('cond/match', Buffer.from('two'), { ifMatch: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      expect((await store.get('cond/match')).toString()).toBe('two');
      await expectCode(store.put('cond/match', Buffer.from('three'), { ifMatch: v1.etag }), 'precondition_failed');
      expect((await store.get('cond/match')).toString()).toBe('two');
      await expectCode(store.put('cond/match', Buffer.from('four'), { ifMatch: '12345' }), 'precondition_failed');
      await expectCode(store.put('cond/match-missing', Buffer.from('x'), { ifMatch: v2.etag }), 'precondition_failed');
      expect(await store.head('cond/match-missing')).toBeUndefined();
      await expectCode(store.put('cond/match', Buffer.from('x'), { ifMatch: v2.etag, ifNoneMatch: true }), 'invalid_argument');
    });

    it(`writes and reads a large body byte-exact (${largeBytes / MiB} MiB, multipart where the backend has it)`, async () => {
      const body = pattern(largeBytes, 7);
      // Odd chunk boundaries, so parts are cut across the caller's chunks.
      const cut1 = Math.floor(largeBytes / 3) + 13;
      const cut2 = cut1 + Math.floor(largeBytes / 2);
      const info = await store.put('large/obj', [body.subarray(0, cut1), body.subarray(cut1, cut2), body.subarray(cut2)]);
      expect(info.size).toBe(largeBytes);
      expect((await store.head('large/obj'))?.size).toBe(largeBytes);
      const got = await store.get('large/obj');
      expect(got.length).toBe(largeBytes);
      expect(got.equals(body)).toBe(true);
      const across = { start: partBytes - 1000, end: partBytes + 1000 };
      expect((await store.get('large/obj', across)).equals(body.subarray(across.start, across.end))).toBe(true);
      // The conditions hold on the large path too.
      await expectCode(store.put('large/obj', body, { ifNoneMatch: true }), 'precondition_failed');
      await expectCode(store.put('large/obj', body, { ifMatch: '12345' }), 'precondition_failed');
    });

    it('lists by prefix in key order, 10 per page, with cursors', async () => {
      // Names that sort differently as paths and as keys ('-' < '.' < '/' < '0').
      const keys = ['list/a-b', 'list/a.c', 'list/a/b', 'list/a/c/d', 'list/a0', 'list/b'];
      for (let i = 0; keys.length < 25; i++) keys.push(`list/k/${String(i).padStart(2, '0')}`);
      const expected = [...keys].sort(compareKeys);
      const writtenFrom = Date.now();
      for (const key of [...keys].reverse()) await store.put(key, Buffer.from(`body of ${key}`));
      const writtenTo = Date.now();
      for (const other of ['listing/x', 'lisa', 'lis/t']) await store.put(other, Buffer.from('other'));

      const { pages, keys: listed } = await listAll(store, 'list/', 10);
      expect(pages).toEqual([10, 10, 5]);
      expect(listed).toEqual(expected);

      const whole = await store.list('list/');
      expect(whole.cursor).toBeUndefined();
      expect(whole.objects.map((o) => o.key)).toEqual(expected);
      for (const o of whole.objects) {
        expect(o.size).toBe(Buffer.byteLength(`body of ${o.key}`));
        expect(await store.head(o.key)).toMatchObject({ key: o.key, size: o.size, etag: o.etag });
        // The write time the orphan sweep ages objects by (servers may round to seconds).
        expect(o.lastModifiedMs).toBeGreaterThanOrEqual(writtenFrom - 2000);
        expect(o.lastModifiedMs).toBeLessThanOrEqual(writtenTo + 2000);
      }

      // A prefix that is not a whole path segment.
      expect((await store.list('list/a')).objects.map((o) => o.key)).toEqual(expected.filter((k) => k.startsWith('list/a')));
      expect((await listAll(store, 'list/a', 2)).keys).toEqual(expected.filter((k) => k.startsWith('list/a')));
      expect((await store.list('lis')).objects.map((o) => o.key)).toEqual([...expected, 'lis/t', 'lisa', 'listing/x'].sort(compareKeys));
      expect(await store.list('nothing-here/')).toEqual({ objects: [] });
      await expectCode(store.list('list/', { limit: 0 }), 'invalid_argument');
    });

    it('keeps keys with slashes and unusual characters intact', async () => {
      const keys = [
        'weird/space in name',
        'weird/plus+sign',
        'weird/percent%20encoded',
        'weird/query?x=1&y=2#frag',
        "weird/punct~!'()*,;=@$",
        'weird/colon:and:more',
        'weird/ünïcødé/日本語',
        'weird/emoji-😀',
        'weird/\uE000-private-use',
        'weird/deep/a/b/c/d/e/f',
        'weird/back\\slash',
        'weird/..dots..',
        'weird/.hidden',
      ];
      for (const key of keys) await store.put(key, Buffer.from(key));
      for (const key of keys) {
        expect((await store.get(key)).toString(), key).toBe(key);
        expect((await store.head(key))?.key).toBe(key);
      }
      expect((await store.list('weird/')).objects.map((o) => o.key)).toEqual([...keys].sort(compareKeys));
      expect((await store.list('weird/ünïcødé/')).objects.map((o) => o.key)).toEqual(['weird/ünïcødé/日本語']);
      await store.deleteMany(keys);
      expect((await store.list('weird/')).objects).toEqual([]);
    });

    it('refuses keys some backend cannot hold, as invalid_argument', async () => {
      const bad = ['', '/leading', 'trailing/', 'a//b', 'a/../b', './a', 'a/.', 'nul\u0000char', 'tab\there', 'x'.repeat(1025)];
      for (const key of bad) {
        await expectCode(store.put(key, Buffer.from('x')), 'invalid_argument');
        await expectCode(store.get(key), 'invalid_argument');
        await expectCode(store.head(key), 'invalid_argument');
        await expectCode(store.delete(key), 'invalid_argument');
      }
      await expectCode(store.deleteMany(['fine', '']), 'invalid_argument');
    });

    it('rejects calls whose signal is already aborted with the signal’s reason, writing nothing', async () => {
      const reason = new Error('caller gave up');
      const signal = AbortSignal.abort(reason);
      await expect(store.put('abort/x', Buffer.from('x'), { signal })).rejects.toBe(reason);
      await expect(store.get('abort/x', undefined, { signal })).rejects.toBe(reason);
      await expect(store.head('abort/x', { signal })).rejects.toBe(reason);
      await expect(store.list('abort/', { signal })).rejects.toBe(reason);
      expect(await store.head('abort/x')).toBeUndefined();
    });
  });
}
