// The object store goes away under load (issue 9 §4), against a real `stratus dev` on
// MinIO behind a TCP proxy that cuts every connection. Produce keeps being acknowledged
// from the WAL while the upload budget lasts, then gets retriable errors — never a closed
// connection — and /readyz says why; when the store returns everything catches up, and
// every acknowledged record is read back exactly once, in order. SIGTERM while the store
// is down ends within the flush timeout and loses nothing acknowledged: the WAL keeps it
// for the next start. (A short run of what the chaos campaign does for minutes.)

import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { openObjectStore } from '@stratus/objectstore';
import { startMinio } from '@stratus/objectstore/testing';
import type { MinioServer } from '@stratus/objectstore/testing';
import { StratusProcess } from '../support/stratus-process.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { WireConnection } from '../fuzz/support/wire.ts';
import { ApiKey, decodeResponse, encodeRequest, errorName } from '@stratus/protocol';

const { Kafka, logLevel } = kafkajs;
/** How long the store stays away in the first test; STRATUS_OUTAGE_SECONDS=300 is the five-minute run. */
const OUTAGE_MS = Number(process.env['STRATUS_OUTAGE_SECONDS'] ?? 15) * 1000;

let minio: MinioServer;
let proxy: TcpProxy;
const cleanup: StratusProcess[] = [];

beforeAll(async () => {
  minio = await startMinio();
  process.env['AWS_ACCESS_KEY_ID'] = minio.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = minio.secretAccessKey;
  const port = Number(new URL(minio.endpoint).port);
  proxy = await TcpProxy.start('127.0.0.1', port);
  const store = await openObjectStore(`s3://outage/?endpoint=${minio.endpoint}&region=us-east-1`, { createBucket: true });
  await store.close();
}, 120_000);

afterAll(async () => {
  for (const s of cleanup) {
    await s.kill();
    await rm(s.dataDir, { recursive: true, force: true });
  }
  await proxy?.close();
  await minio?.stop();
});

function env(): Record<string, string> {
  return {
    STRATUS_OBJECT_STORE_URL: `s3://outage/stratus?endpoint=http://127.0.0.1:${proxy.port}&region=us-east-1`,
    AWS_ACCESS_KEY_ID: minio.accessKeyId,
    AWS_SECRET_ACCESS_KEY: minio.secretAccessKey,
    STRATUS_OBJECT_STORE_REQUEST_TIMEOUT: '2s',
    STRATUS_OBJECT_STORE_MAX_ATTEMPTS: '2',
    STRATUS_STORAGE_PENDING_BYTES: String(2 * 1024 * 1024),
    STRATUS_STORAGE_APPEND_WAIT: '1s',
    STRATUS_UPLOAD_MAX_DELAY: '100ms',
    STRATUS_KAFKA_SHUTDOWN_DRAIN: '2s',
    STRATUS_STORAGE_SHUTDOWN_FLUSH_TIMEOUT: '3s',
  };
}

async function readyz(s: StratusProcess): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${s.httpPort}/readyz`);
  return { status: r.status, body: await r.text() };
}

/** Produces 20-record batches of 1 KiB records until stopped; records what was acknowledged and what failed. */
class Load {
  readonly acked = new Map<string, number>();
  readonly errors: string[] = [];
  private running = true;
  readonly done: Promise<void>;
  private disconnects = 0;

  constructor(bootstrap: string, topic: string) {
    const kafka = new Kafka({ clientId: 'outage-load', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 200 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    producer.on(producer.events.DISCONNECT, () => void this.disconnects++);
    const value = Buffer.alloc(1024, 7);
    this.done = (async () => {
      await producer.connect();
      for (let n = 0; this.running; n++) {
        const keys = Array.from({ length: 20 }, (_, i) => `${n}-${i}`);
        try {
          const [r] = await producer.send({ topic, acks: -1, timeout: 3000, messages: keys.map((key) => ({ key, value })) });
          keys.forEach((k, i) => this.acked.set(k, Number(r!.baseOffset) + i));
        } catch (e) {
          // kafkajs wraps the broker's error after its own retries.
          const err = e as { type?: string; name?: string; cause?: { type?: string; name?: string } };
          this.errors.push(err.cause?.type ?? err.cause?.name ?? err.type ?? err.name ?? String(e));
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await producer.disconnect();
    })();
  }

  get producerDisconnects(): number {
    return this.disconnects;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }
}

async function readAll(bootstrap: string, topic: string, expected: number): Promise<{ key: string; offset: number }[]> {
  const kafka = new Kafka({ clientId: 'outage-read', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}` });
  const seen: { key: string; offset: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), offset: Number(message.offset) }) });
  const deadline = Date.now() + 60_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return seen;
}

function expectExactlyOnceInOrder(read: readonly { key: string; offset: number }[], acked: ReadonlyMap<string, number>): void {
  const offsets = read.map((r) => r.offset);
  expect(offsets, 'offsets strictly increasing').toEqual([...offsets].sort((a, b) => a - b));
  expect(new Set(offsets).size).toBe(offsets.length);
  expect(new Set(read.map((r) => r.key)).size, 'no key twice').toBe(read.length);
  const at = new Map(read.map((r) => [r.key, r.offset]));
  const missing = [...acked].filter(([key, offset]) => at.get(key) !== offset);
  expect(missing, 'every acknowledged record at its acknowledged offset').toEqual([]);
}

/** One Fetch v11 of partition 0 of each topic from offset 0 over a raw connection: each partition's error name and record bytes. */
async function fetchRaw(s: StratusProcess, topics: readonly string[]): Promise<Record<string, { error: string; bytes: number }>> {
  const conn = await WireConnection.connect('127.0.0.1', s.kafkaPort);
  try {
    const request = encodeRequest(ApiKey.Fetch, 11, 1, 'outage-raw', {
      replicaId: -1,
      maxWaitMs: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: topics.map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] })),
      forgottenTopicsData: [],
      rackId: '',
    });
    await conn.write(request);
    const event = await conn.next(30_000);
    if (event.kind !== 'frame') throw new Error(`no answer: ${event.kind}`);
    const decoded = decodeResponse(ApiKey.Fetch, 11, event.frame);
    if (!decoded.ok) throw decoded.error;
    return Object.fromEntries(decoded.value.body.responses.map((t) => [t.topic, { error: errorName(t.partitions[0]!.errorCode), bytes: t.partitions[0]!.records?.length ?? 0 }]));
  } finally {
    conn.destroy();
  }
}

describe('the object store goes away', () => {
  it('a fetch that needs the store gets KAFKA_STORAGE_ERROR for that partition only; the others are served', async () => {
    // Nothing cached: committed data can only come from the store.
    const s = await StratusProcess.start({ env: { ...env(), STRATUS_STORAGE_TAIL_BYTES: '0', STRATUS_CACHE_MEMORY_BYTES: '0', STRATUS_FETCH_READ_TIMEOUT: '2s' } });
    cleanup.push(s);
    const kafka = new Kafka({ clientId: 'outage-fetch', brokers: [s.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'uploaded', acks: -1, messages: [{ key: 'a', value: 'committed before the outage' }] });
    // Wait until it is in an object (the tail keeps nothing once uploaded).
    await new Promise((r) => setTimeout(r, 1500));
    proxy.takeDown();
    try {
      await producer.send({ topic: 'recent', acks: -1, messages: [{ key: 'b', value: 'only in the WAL and the tail' }] });
      const t0 = Date.now();
      const answer = await fetchRaw(s, ['uploaded', 'recent']);
      expect(answer['uploaded']).toEqual({ error: 'KAFKA_STORAGE_ERROR', bytes: 0 });
      expect(answer['recent']!.error).toBe('NONE');
      expect(answer['recent']!.bytes).toBeGreaterThan(0);
      expect(Date.now() - t0, 'answered within about fetch.readTimeout').toBeLessThan(6_000);
    } finally {
      proxy.bringUp();
      await producer.disconnect();
    }
    // Back: the same fetch is served.
    const deadline = Date.now() + 20_000;
    let after = await fetchRaw(s, ['uploaded']);
    while (after['uploaded']!.error !== 'NONE' && Date.now() < deadline) after = await fetchRaw(s, ['uploaded']);
    expect(after['uploaded']!.bytes).toBeGreaterThan(0);
  }, 60_000);

  it('produce rides on the WAL, then gets retriable errors; /readyz says why; everything catches up, nothing lost or doubled', async () => {
    const s = await StratusProcess.start({ env: env() });
    cleanup.push(s);
    const load = new Load(s.bootstrap, 'outage');
    await new Promise((r) => setTimeout(r, 1500));
    const beforeOutage = load.acked.size;
    expect(beforeOutage).toBeGreaterThan(0);

    proxy.takeDown();
    let sawNotReady = '';
    const deadline = Date.now() + OUTAGE_MS;
    while (Date.now() < deadline) {
      const r = await readyz(s);
      if (r.status === 503) sawNotReady = r.body;
      await new Promise((res) => setTimeout(res, 250));
    }
    const duringOutage = load.acked.size;
    expect(duringOutage, 'acknowledged from the WAL while the budget lasted').toBeGreaterThan(beforeOutage);
    expect(sawNotReady).toMatch(/not ready: .*object store/);
    expect(load.errors.length, 'refused once the budget is used up').toBeGreaterThan(0);
    expect(new Set(load.errors), 'only retriable Kafka errors').toEqual(new Set(['REQUEST_TIMED_OUT']));

    proxy.bringUp();
    const caughtUp = Date.now() + 30_000;
    while ((await readyz(s)).status !== 200 && Date.now() < caughtUp) await new Promise((res) => setTimeout(res, 250));
    expect((await readyz(s)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    await load.stop();
    expect(load.acked.size).toBeGreaterThan(duringOutage);
    expect(s.alive).toBe(true);
    expectExactlyOnceInOrder(await readAll(s.bootstrap, 'outage', load.acked.size), load.acked);
    console.log(
      `outage of ${OUTAGE_MS / 1000} s: ${beforeOutage} records acked before it, ${duringOutage - beforeOutage} during it (from the WAL), ` +
        `${load.errors.length} sends refused (${[...new Set(load.errors)].join(', ')}), ${load.acked.size - duringOutage} after it; all ${load.acked.size} read back once, in order`,
    );
  }, 120_000 + OUTAGE_MS);

  it('SIGTERM while the store is down ends within the flush timeout; the next start uploads what the WAL kept', async () => {
    const s = await StratusProcess.start({ env: env() });
    cleanup.push(s);
    const load = new Load(s.bootstrap, 'sigterm');
    await new Promise((r) => setTimeout(r, 1000));
    proxy.takeDown();
    await new Promise((r) => setTimeout(r, 1500));
    await load.stop();
    expect(load.acked.size).toBeGreaterThan(0);
    const t0 = Date.now();
    expect(await s.stop()).toBe(0);
    // shutdownDrain 2 s + shutdownFlushTimeout 3 s, and some slack to exit.
    expect(Date.now() - t0).toBeLessThan(9_000);
    proxy.bringUp();
    const again = await s.restart();
    cleanup.push(again);
    expectExactlyOnceInOrder(await readAll(again.bootstrap, 'sigterm', load.acked.size), load.acked);
  }, 120_000);
});
