// Regression: idempotent-producer state survives a restart once the producer's batches
// were uploaded. The partition index (the controller) keeps the last five committed
// batches per producer; a partition opened after a restart seeds its producer state
// from them, then from the WAL batches recovery re-queued (newer). A client retrying a
// batch that was written before the restart is answered with the original offset, not
// written again (what Kafka does).
//
// The broker is assembled in process, as `stratus dev` does: a Controller over a
// MemoryMetadataStore (reopen() is a restarted controller: the journal is replayed, or
// the snapshot taken by close() is loaded), a StorageEngine on a temp-dir WAL with a
// memory object store, and requests dispatched through the broker's real codec.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, MemoryMetadataStore } from '@stratus/controller';
import { MemoryObjectStore, ObjectStoreError } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { ApiKey, ErrorCode, buildRecordBatch, decodeResponse, encodeRequest, readRecords } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { systemClock, systemRandom } from '@stratus/runtime';
import { StorageEngine, storeReader } from '@stratus/storage';
import { openWal } from '@stratus/wal';
import { Broker } from '../../src/broker.ts';
import type { BrokerConfig } from '../../src/broker-context.ts';

const NODE_ID = 1;
const PRODUCER_ID = 4242;
const TOPIC = 'idempotent';

const CONFIG: BrokerConfig = {
  nodeId: NODE_ID,
  advertisedHost: '127.0.0.1',
  advertisedPort: 9092,
  rack: null,
  autoCreateTopics: false,
  defaultPartitions: 1,
  fetchMaxBytes: 52_428_800,
  fetchMaxWaitMs: 10_000,
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 300_000,
  groupInitialRebalanceDelayMs: 0,
  offsetsRetentionMs: 604_800_000,
  messageMaxBytes: 1_048_588,
  maxDecompressedBatchBytes: 64 * 1024 * 1024,
};

/** The memory object store, with PUTs that can be made to fail (uploads then wait in the WAL). */
class GatedStore {
  readonly backing = new MemoryObjectStore('producer-restart');
  blocked = false;
  readonly store: ObjectStore = new Proxy(this.backing, {
    get: (target, prop) => {
      if (prop === 'put') {
        return (...args: Parameters<ObjectStore['put']>) =>
          this.blocked ? Promise.reject(new ObjectStoreError('unavailable', 'put', args[0], 'blocked by the test')) : target.put(...args);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** One broker process: controller, storage engine and broker over durable parts that outlive it. */
interface Node {
  readonly controller: Controller;
  readonly storage: StorageEngine;
  readonly broker: Broker;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'stratus-producer-restart-'));
  readonly objects = new GatedStore();
  metadata = new MemoryMetadataStore();
  node: Node | undefined;
  private correlationId = 0;

  constructor() {
    cleanups.push(async () => {
      await this.node?.broker.close({ drainTimeoutMs: 0 }).catch(() => undefined);
      await this.node?.controller.close().catch(() => undefined);
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  async start(): Promise<Node> {
    const controller = await Controller.open({ store: this.metadata, objectStore: this.objects.store, clock: systemClock, random: systemRandom, onBackgroundError: () => undefined });
    const { wal } = await openWal({ dir: this.dir, clock: systemClock, segmentBytes: 1024 * 1024, capacityBytes: 64 * 1024 * 1024 });
    const storage = await StorageEngine.open({
      wal,
      store: this.objects.store,
      index: controller,
      reader: storeReader(this.objects.store),
      clock: systemClock,
      random: systemRandom,
      nodeId: NODE_ID,
      keyPrefix: 'producer-restart',
      upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 20, urgentDelayMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 20 },
    });
    const broker = await Broker.start({ config: CONFIG, controller, storage, clock: systemClock, network: { host: '127.0.0.1', port: 0, closeLingerMs: 100 } });
    this.node = { controller, storage, broker };
    return this.node;
  }

  /**
   * Stops the broker process. `crash`: the uploader stops without flushing (what is not
   * uploaded stays in the WAL). The controller either closes (snapshot) or just stops
   * (its journal is replayed on reopen).
   */
  async stop(options: { crash: boolean; controller: 'journal' | 'snapshot' }): Promise<void> {
    const node = this.node;
    if (node === undefined) throw new Error('not running');
    this.node = undefined;
    if (options.crash) await node.storage.close({ flush: false });
    await node.broker.close({ drainTimeoutMs: 0 });
    if (options.controller === 'snapshot') await node.controller.close();
    this.metadata = this.metadata.reopen();
  }

  async call<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    const node = this.node;
    if (node === undefined) throw new Error('not running');
    const correlationId = ++this.correlationId;
    const frame = encodeRequest(apiKey, version, correlationId, 'producer-restart-test', body);
    const result = await node.broker.dispatcher.dispatch(frame.subarray(4), { connectionId: 1, listenerName: 'PLAINTEXT', remoteAddress: '127.0.0.1:40000', signal: new AbortController().signal });
    if (result.kind !== 'response') throw new Error(`API ${apiKey} was not answered: ${result.kind}`);
    const decoded = decodeResponse(apiKey, version, Buffer.concat(result.chunks).subarray(4));
    if (!decoded.ok) throw decoded.error;
    return decoded.value.body;
  }

  /** Produces records with sequences first..last (one idempotent batch) and returns the partition's answer. */
  async produce(first: number, last: number, timeoutMs = 10_000): Promise<{ errorCode: number; baseOffset: number }> {
    const records = buildRecordBatch({
      producerId: PRODUCER_ID,
      producerEpoch: 0,
      baseSequence: first,
      baseTimestamp: 1_700_000_000_000,
      records: Array.from({ length: last - first + 1 }, (_, i) => ({ key: null, value: `s${first + i}` })),
    });
    const r = await this.call(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    const p = r.responses[0]?.partitionResponses[0];
    if (p === undefined) throw new Error('no partition in the produce answer');
    return { errorCode: p.errorCode, baseOffset: p.baseOffset };
  }

  /** Every record of the partition, in offset order, fetch after fetch as a consumer reads, with the high watermark. */
  async fetchAll(): Promise<{ highWatermark: number; values: string[]; offsets: number[] }> {
    const values: string[] = [];
    const offsets: number[] = [];
    for (let fetchOffset = 0; ; ) {
      const r = await this.call(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 50 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024 * 1024 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = r.responses[0]?.partitions[0];
      if (p === undefined || p.errorCode !== 0) throw new Error(`fetch failed: ${p?.errorCode}`);
      const data = p.records ?? Buffer.alloc(0);
      for (let pos = 0; pos < data.length; ) {
        const size = data.readInt32BE(pos + 8) + 12;
        const decoded = readRecords(data.subarray(pos, pos + size), 1 << 24);
        if (!decoded.ok) throw new Error(decoded.error.message);
        for (const rec of decoded.records) {
          if (rec.offset < fetchOffset) continue;
          offsets.push(rec.offset);
          values.push(rec.value?.toString('utf8') ?? '');
        }
        pos += size;
      }
      const next = (offsets[offsets.length - 1] ?? -1) + 1;
      if (next >= p.highWatermark || next === fetchOffset) return { highWatermark: p.highWatermark, values, offsets };
      fetchOffset = next;
    }
  }

  async createTopic(configs: Readonly<Record<string, string>> = {}): Promise<{ topicId: string; partition: number }> {
    const [r] = await this.node!.controller.createTopics([{ name: TOPIC, numPartitions: 1, replicationFactor: -1, configs }], { validateOnly: false });
    if (r?.topic == null) throw new Error(`createTopic failed: ${r?.errorMessage}`);
    return { topicId: r.topic.topicId, partition: 0 };
  }

  /** Waits until the controller has committed the partition up to `end`. */
  async committed(tp: { topicId: string; partition: number }, end: number): Promise<void> {
    const deadline = Date.now() + 5_000;
    while ((await this.node!.controller.committedEndOffset(tp)) < end) {
      if (Date.now() > deadline) throw new Error(`offsets below ${end} were not committed in time`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function values(first: number, last: number): string[] {
  return Array.from({ length: last - first + 1 }, (_, i) => `s${first + i}`);
}

describe('idempotent producer state across a broker restart', () => {
  it.each(['journal', 'snapshot'] as const)('answers a retry of an uploaded batch with its original offset (controller state from the %s)', async (controllerState) => {
    const cluster = new Cluster();
    await cluster.start();
    const tp = await cluster.createTopic();
    expect(await cluster.produce(0, 4)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(await cluster.produce(5, 9)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 5 });
    await cluster.committed(tp, 10);
    expect(summary(await cluster.node!.controller.producerBatches(tp))).toEqual([
      [0, 0],
      [5, 5],
    ]);

    await cluster.stop({ crash: false, controller: controllerState });
    const node = await cluster.start();
    expect(node.storage.recovery.requeuedEntries).toBe(0); // everything was uploaded: the WAL has nothing to give

    // The client's retry of the last batch: answered with the original offset, not written again.
    expect(await cluster.produce(5, 9)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 5 });
    expect(await cluster.produce(0, 4)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    // A gap in the sequence is refused, as before the restart.
    expect((await cluster.produce(20, 24)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    const fetched = await cluster.fetchAll();
    expect(fetched.highWatermark).toBe(10);
    expect(fetched.offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(fetched.values).toEqual(values(0, 9));
    // The producer carries on where it was.
    expect(await cluster.produce(10, 14)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 10 });
    expect((await cluster.fetchAll()).values).toEqual(values(0, 14));
  });

  it('combines committed batches with the WAL batches recovery re-queued after a crash', async () => {
    const cluster = new Cluster();
    await cluster.start();
    const tp = await cluster.createTopic();
    expect((await cluster.produce(0, 4)).baseOffset).toBe(0);
    expect((await cluster.produce(5, 9)).baseOffset).toBe(5);
    await cluster.committed(tp, 10);
    // Uploads fail from now on: seq 10-14 is durable in the WAL only.
    cluster.objects.blocked = true;
    expect(await cluster.produce(10, 14)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 10 });
    await cluster.stop({ crash: true, controller: 'journal' });

    cluster.objects.blocked = false;
    const node = await cluster.start();
    expect(node.storage.recovery.requeuedEntries).toBe(1);

    expect(await cluster.produce(5, 9)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 5 }); // committed before the crash
    expect(await cluster.produce(10, 14)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 10 }); // recovered from the WAL
    expect((await cluster.produce(30, 30)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await cluster.produce(15, 19)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 15 });
    const fetched = await cluster.fetchAll();
    expect(fetched.values).toEqual(values(0, 19));

    // Once the recovered entry is committed too, a second restart still deduplicates all of it.
    await cluster.committed(tp, 20);
    await cluster.stop({ crash: false, controller: 'snapshot' });
    await cluster.start();
    for (const [first, base] of [
      [0, 0],
      [5, 5],
      [10, 10],
      [15, 15],
    ] as const) {
      expect(await cluster.produce(first, first + 4)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: base });
    }
    expect((await cluster.fetchAll()).highWatermark).toBe(20);
  });

  it('answers a retry of an object topic\'s recovered, uncommitted batch only once it is committed', async () => {
    // An object topic acknowledges a batch once it is committed, not once it is in the WAL.
    // A recovered WAL entry is not committed yet: a retry of it must not be acknowledged
    // before it is, or a failover before its upload (the partition moving to another
    // broker, which writes other records at its offsets) loses an acknowledged record.
    const cluster = new Cluster();
    await cluster.start();
    const tp = await cluster.createTopic({ 'stratus.durability': 'object' });
    expect(await cluster.produce(0, 4)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    cluster.objects.blocked = true;
    // In the WAL, never committed: not acknowledged.
    expect((await cluster.produce(5, 9, 300)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    await cluster.stop({ crash: true, controller: 'journal' });

    const node = await cluster.start();
    expect(node.storage.recovery.requeuedEntries).toBe(1);
    // Still not uploadable: the retry is a duplicate of the recovered entry, and waits for its commit.
    expect(await cluster.produce(5, 9, 500)).toEqual({ errorCode: ErrorCode.REQUEST_TIMED_OUT, baseOffset: -1 });
    expect(await node.controller.committedEndOffset(tp)).toBe(5);

    cluster.objects.blocked = false;
    expect(await cluster.produce(5, 9)).toEqual({ errorCode: ErrorCode.NONE, baseOffset: 5 });
    expect(await node.controller.committedEndOffset(tp)).toBe(10);
    expect((await cluster.fetchAll()).values).toEqual(values(0, 9));
  });
});

function summary(batches: readonly { baseSequence: number; baseOffset: number }[]): number[][] {
  return batches.map((b) => [b.baseSequence, b.baseOffset]);
}
