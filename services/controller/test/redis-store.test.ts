// What only the Redis metadata store has to show, against real redis-servers: nothing
// acknowledged is lost when Redis is killed (-9) and restarted from its AOF; a snapshot
// switch interrupted at any step leaves the old or the new snapshot complete with the
// journal after it, and the next snapshot clears what the interrupted one left; WAIT with
// a real replica and without one; a stale epoch; Redis unreachable; bad URLs and values.
// The contract shared with the other stores is in metadata-store-contract.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@stratus/controller/testing';
import { captureState, emptyState, openMetadataStore, toSnapshotData } from '../src/index.ts';
import type { ControllerState, MetadataRecord } from '../src/index.ts';
import { FencedError } from '../src/store/fenced-error.ts';
import { RedisMetadataStore } from '../src/store/redis-store.ts';
import type { RedisMetadataStoreOptions } from '../src/store/redis-store.ts';
import type { RedisSnapshotStep } from '../src/store/redis-snapshot.ts';
import { parseRedisUrl } from '../src/store/redis-url.ts';
import { readRedisParams } from '../src/store/redis-params.ts';
import { collect, openLoaded, rec } from './metadata-store.contract.ts';
import type { ContractBackend } from './metadata-store.contract.ts';
import { buildState } from './support/snapshot-state.ts';

let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});

afterAll(async () => {
  await redis?.cleanup();
});

function backend(server: RedisServer, options: Partial<RedisMetadataStoreOptions> & { query?: string } = {}): ContractBackend & { prefix: string; url: string } {
  const prefix = `rs${prefixes++}:`;
  const url = `${server.url}?prefix=${prefix}${options.query ?? ''}`;
  const opened: RedisMetadataStore[] = [];
  return {
    prefix,
    url,
    splitsLargeBatches: true,
    open: async () => {
      const s = await RedisMetadataStore.open({ epoch: 0, ...options, url });
      opened.push(s);
      return s;
    },
    breakAppends: () => server.stop(),
    heal: () => server.restart(),
    cleanup: async () => {
      await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    },
  };
}

/** The keys under `prefix`, sorted. */
async function keysOf(server: RedisServer, prefix: string): Promise<string[]> {
  const out = await server.cliRaw('KEYS', `${prefix}*`);
  return out === '' ? [] : out.split('\n').sort();
}

describe('RedisMetadataStore: durability', () => {
  it('loses nothing acknowledged when redis-server is killed (-9) mid-stream and restarted from its AOF', async () => {
    const own = await RedisServer.start();
    try {
      const b = backend(own);
      const { store: a } = await openLoaded(b);
      const state: ControllerState = { ...emptyState(), nextProducerId: 5 };
      for (let i = 0; i < 20; i++) await a.append([rec(i)]);
      await a.snapshot(captureState(state), 9);
      const acked = new Map<number, MetadataRecord>();
      const failed: number[] = [];
      const inFlight: Promise<void>[] = [];
      let i = 20;
      // Appends flow continuously; the server dies under them.
      const writer = (async () => {
        for (; i < 5000; i++) {
          const r = rec(i);
          inFlight.push(
            a.append([r]).then(
              (seq) => void acked.set(seq, r),
              () => void failed.push(i),
            ),
          );
          if (i % 50 === 0) await new Promise((res) => setImmediate(res));
        }
      })();
      while (acked.size < 200) await new Promise((res) => setTimeout(res, 1));
      await own.kill();
      await writer;
      await Promise.all(inFlight);
      expect(failed.length).toBeGreaterThan(0);
      await own.restart();
      const r = await openLoaded(b);
      expect(r.upToSeq).toBe(9);
      expect(r.snapshot).toEqual(toSnapshotData(state));
      const held = new Map(r.batches.map((x) => [x.seq, x.records]));
      for (const [seq, record] of acked) expect(held.get(seq), `acknowledged batch ${seq}`).toEqual([record]);
      // Contiguous from the snapshot on: no holes.
      expect(r.batches.map((x) => x.seq)).toEqual(Array.from({ length: r.batches.length }, (_, k) => 10 + k));
      await b.cleanup();
    } finally {
      await own.cleanup();
    }
  });
});

describe('RedisMetadataStore: snapshot switching interrupted at each step', () => {
  const oldState: ControllerState = { ...emptyState(), nextProducerId: 11 };
  const newState = buildState({ topics: 3, partitionsPerTopic: 4, extentsPerPartition: 3, partitionsPerObject: 2, groups: 3, offsetsPerGroup: 5, producersPerPartition: 1 });
  const cases: { step: RedisSnapshotStep; nth: number; switched: boolean }[] = [
    { step: 'begin', nth: 1, switched: false },
    { step: 'chunk', nth: 1, switched: false },
    { step: 'chunk', nth: 3, switched: false },
    { step: 'switch', nth: 1, switched: false },
    { step: 'replicate', nth: 1, switched: true },
  ];
  for (const c of cases) {
    it(`stopped before ${c.step} #${c.nth}: a restarted store loads the ${c.switched ? 'new' : 'old'} snapshot and the journal after it`, async () => {
      let release: (() => void) | undefined;
      let stopped = false;
      let seen = 0;
      let armed = false;
      const hook = async (step: RedisSnapshotStep): Promise<void> => {
        if (!armed || step !== c.step || ++seen !== c.nth || stopped) return;
        stopped = true;
        await new Promise<void>((resolve) => (release = resolve));
      };
      const b = backend(redis, { beforeSnapshotStep: hook, params: { maxValueBytes: 1024, snapshotChunkBytes: 1024 } });
      const { store: a } = await openLoaded(b);
      for (let i = 0; i < 8; i++) await a.append([rec(i)]);
      await a.snapshot(captureState(oldState), 3);
      armed = true;
      const interrupted = a.snapshot(captureState(newState), 6);
      interrupted.catch(() => undefined);
      while (!stopped) await new Promise((r) => setTimeout(r, 1));

      // A restart while the old process is frozen at that step.
      const restarted = backend(redis, { params: { maxValueBytes: 1024 } });
      const url = b.url;
      const loaded = await openLoaded({ ...restarted, open: () => RedisMetadataStore.open({ url, epoch: 0 }) });
      if (c.switched) {
        expect(loaded.upToSeq).toBe(6);
        expect(loaded.snapshot).toEqual(toSnapshotData(newState));
        expect(loaded.batches.map((x) => x.seq)).toEqual([7]);
      } else {
        expect(loaded.upToSeq).toBe(3);
        expect(loaded.snapshot).toEqual(toSnapshotData(oldState));
        expect(loaded.batches.map((x) => x.seq)).toEqual([4, 5, 6, 7]);
      }
      // The restarted store's own snapshot drops whatever the frozen one left behind.
      await loaded.store.snapshot(captureState(oldState), 7);
      const keys = await keysOf(redis, b.prefix);
      const current = await redis.cliRaw('HGET', `${b.prefix}snapshot`, 'id');
      expect(keys).toEqual([`${b.prefix}journal:base`, `${b.prefix}snapshot`, `${b.prefix}snapshot:${current}`, `${b.prefix}snapshot:next-id`].sort());

      // The frozen process resumes: it cannot bring its abandoned snapshot back.
      release!();
      if (c.switched) await interrupted;
      else await expect(interrupted).rejects.toThrow(/STRATUS_SNAPSHOT_(ABANDONED|MOVED)/);
      expect(await keysOf(redis, b.prefix)).toEqual(keys);
      await loaded.store.close();
      await b.cleanup();
      const final = await openLoaded({ ...restarted, open: () => RedisMetadataStore.open({ url, epoch: 0 }) });
      expect(final.upToSeq).toBe(7);
      expect(final.snapshot).toEqual(toSnapshotData(oldState));
      expect(final.batches).toEqual([]);
      await final.store.close();
    });
  }
});

describe('RedisMetadataStore: replication (WAIT)', () => {
  it('acknowledges once a real replica has every write; the replica holds the journal and the snapshot', async () => {
    const master = await RedisServer.start();
    try {
      const replica = await master.startReplica();
      const b = backend(master, { query: '&wait=1&waitTimeoutMs=2000' });
      const { store: a } = await openLoaded(b);
      const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => a.append([rec(i)])));
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i));
      // WAIT returned: the replica has them, without any further wait here.
      expect(await replica.cliRaw('LLEN', `${b.prefix}journal`)).toBe('50');
      await a.snapshot(captureState({ ...emptyState(), nextProducerId: 3 }), 39);
      expect(await replica.cliRaw('HGET', `${b.prefix}snapshot`, 'upToSeq')).toBe('39');
      expect(await replica.cliRaw('LLEN', `${b.prefix}journal`)).toBe('10');
      await b.cleanup();
    } finally {
      await master.cleanup();
    }
  });

  it('fails an append that no replica acknowledged in time, and every later one', async () => {
    const b = backend(redis, { query: '&wait=1&waitTimeoutMs=100' });
    const { store: a } = await openLoaded(b);
    await expect(a.append([rec(0)])).rejects.toThrow(/only 0 of 1 replica\(s\) acknowledged the write within 100 ms \(WAIT\)/);
    await expect(a.append([rec(1)])).rejects.toThrow(/failed earlier: .*only 0 of 1 replica/);
    await b.cleanup();
  });
});

describe('RedisMetadataStore: errors', () => {
  it('fails clearly when Redis is unreachable, at open and in use, without crashing the process', async () => {
    const own = await RedisServer.start();
    const url = own.url;
    const b = backend(own);
    const { store: a } = await openLoaded(b);
    await own.kill();
    await expect(a.append([rec(0)])).rejects.toThrow(/append: Redis at redis:\/\/127\.0\.0\.1:\d+\?prefix=rs\d+: is unavailable for EVAL/);
    await expect(a.snapshot(captureState(emptyState()), 0)).rejects.toThrow(/snapshot up to batch 0, but the journal ends at -1|unavailable/);
    await a.close();
    await own.cleanup();
    const started = Date.now();
    await expect(openMetadataStore(`${url}?connectTimeoutMs=1000`, { epoch: 0 })).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:\d+\?connectTimeoutMs=1000 is unreachable: .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('refuses a record larger than a value may be, and a stale or a regressed epoch', async () => {
    const b = backend(redis, { params: { maxValueBytes: 1024 } });
    const { store: a } = await openLoaded(b);
    const huge: MetadataRecord = { type: 'ConfigsAltered', topicId: 'x', configs: { big: 'y'.repeat(2000) } };
    await expect(a.append([huge])).rejects.toThrow(/a ConfigsAltered record of \d+ bytes exceeds the Redis value limit of 1024 bytes \(maxValueBytes\)/);
    await expect(a.append([rec(0)])).rejects.toThrow(/failed earlier/);
    await redis.cli('SET', `${b.prefix}controller:epoch`, '3');
    const stale = await RedisMetadataStore.open({ url: b.url, epoch: 2 });
    await expect(stale.load()).rejects.toBeInstanceOf(FencedError);
    const ahead = await RedisMetadataStore.open({ url: b.url, epoch: 4 });
    await expect(ahead.load()).rejects.toThrow(/controller epoch in Redis is 3, below this controller's 4: Redis lost acknowledged writes/);
    await Promise.all([stale.close(), ahead.close(), b.cleanup()]);
  });

  it('refuses a journal whose base does not meet the snapshot (keys changed by hand)', async () => {
    const b = backend(redis);
    const { store: a } = await openLoaded(b);
    for (let i = 0; i < 3; i++) await a.append([rec(i)]);
    await a.close();
    await redis.cli('SET', `${b.prefix}journal:base`, '2');
    await expect((await b.open()).load()).rejects.toThrow(/starts at batch 2, but there is no snapshot: batches are missing/);
    await b.cleanup();
  });

  it('parses redis, rediss and Sentinel URLs and refuses bad ones by name', () => {
    expect(parseRedisUrl('redis://127.0.0.1')).toMatchObject({ mode: 'standalone', tls: false, endpoints: [{ host: '127.0.0.1', port: 6379 }], db: 0 });
    expect(parseRedisUrl('rediss://user:s%40cret@redis.example:6380/2?wait=1')).toMatchObject({
      mode: 'standalone',
      tls: true,
      username: 'user',
      password: 's@cret',
      endpoints: [{ host: 'redis.example', port: 6380 }],
      db: 2,
      redacted: 'rediss://user:***@redis.example:6380/2?wait=1',
    });
    expect(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2,[::1]:26380/mymaster/1')).toMatchObject({
      mode: 'sentinel',
      masterName: 'mymaster',
      password: 'pw',
      db: 1,
      endpoints: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    });
    expect(parseRedisUrl('rediss+sentinel://s1/m').tls).toBe(true);
    expect(() => parseRedisUrl('redis://a,b')).toThrow(/names one host; use redis\+sentinel/);
    expect(() => parseRedisUrl('redis+sentinel://s1:26379')).toThrow(/names the master group/);
    expect(() => parseRedisUrl('redis://h:99999')).toThrow(/port 99999/);
    expect(() => parseRedisUrl('redis://h/x')).toThrow(/database must be a number/);
    expect(() => parseRedisUrl('http://h')).toThrow(/not of the form/);
    expect(() => parseRedisUrl('redis://u:secret@h:1:2')).toThrow(/^Redis URL redis:\/\/u:\*\*\*@h:1:2: /);
    const params = (q: string): unknown => readRedisParams(parseRedisUrl(`redis://h?${q}`));
    expect(params('')).toMatchObject({ prefix: 'stratus:', wait: 0, waitTimeoutMs: 1000, commandTimeoutMs: 6000, maxValueBytes: 1024 * 1024 });
    expect(() => params('waitTimeout=5')).toThrow(/unknown parameter waitTimeout/);
    expect(() => params('wait=x')).toThrow(/wait must be an integer from 0 to 100, got x/);
    expect(() => params('wait=1&waitTimeoutMs=5000&commandTimeoutMs=5000')).toThrow(/commandTimeoutMs \(5000\) must exceed waitTimeoutMs/);
    expect(() => params('prefix=a%20b')).toThrow(/prefix must be 1 to 200 characters without whitespace/);
    expect(() => readRedisParams(parseRedisUrl('redis://h?wait=1'), { wait: 2 })).toThrow(/parameter wait is also set in the options/);
  });

  it('needs the fencing epoch to open a Redis store through the factory', async () => {
    await expect(openMetadataStore(redis.url)).rejects.toThrow(/needs the controller epoch/);
    await expect(openMetadataStore('ftp://x:secret@h')).rejects.toThrow(/ftp:\/\/x:\*\*\*@h has an unknown scheme/);
  });

  it('counts journal bytes and batches as the controller’s snapshot schedule expects', async () => {
    const b = backend(redis);
    const { store: a } = await openLoaded(b);
    await a.append([rec(0)]);
    await a.append([rec(1), rec(2)]);
    expect(a.stats().journalBatches).toBe(2);
    const bytes = a.stats().journalBytes;
    expect(bytes).toBeGreaterThan(20);
    await a.close();
    const r = await b.open();
    const loaded = await r.load();
    expect(r.stats().journalBatches).toBe(0);
    await collect(loaded.batches);
    expect(r.stats()).toEqual({ journalBatches: 2, journalBytes: bytes });
    await b.cleanup();
  });
});
