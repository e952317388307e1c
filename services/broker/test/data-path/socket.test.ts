// The one test over a real socket: a raw node:net client (no Kafka library) pipelines 50
// produce requests and a fetch in a single write, as librdkafka and the Java client do
// with several requests in flight, and reads 51 answers in request order.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, errorName } from '@stratus/protocol';
import { batch, FETCH_VERSION, PRODUCE_VERSION, produceRequest, readFetched } from './support/kafka.ts';
import { DataPathWorld } from './support/world.ts';

let world: DataPathWorld;

beforeAll(async () => {
  world = await DataPathWorld.open();
});

afterAll(async () => {
  await world?.close();
});

/** Connects, writes `bytes` at once, and collects `count` response frames (size prefix stripped). */
function exchange(port: number, bytes: Buffer, count: number, timeoutMs = 10_000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const frames: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`got ${frames.length} of ${count} responses in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const size = pending.readInt32BE(0);
        frames.push(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
      }
      if (frames.length >= count) {
        clearTimeout(timer);
        socket.end();
        resolve(frames);
      }
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('close', () => {
      if (frames.length < count) {
        clearTimeout(timer);
        reject(new Error(`connection closed after ${frames.length} of ${count} responses`));
      }
    });
  });
}

describe('over a socket', () => {
  it('50 pipelined produce requests and a fetch: 51 answers in order, offsets in request order', async () => {
    const topic = 'socket';
    await world.createTopic(topic);
    expect(world.broker.port).toBeGreaterThan(0);
    const requests: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      // Correlation ids deliberately not sequential from 0: 1000, 1003, 1006, ...
      requests.push(world.frame(ApiKey.Produce, PRODUCE_VERSION, produceRequest(topic, 0, batch([`m${i}`, `m${i}+`], { producerId: 77, producerEpoch: 0, baseSequence: i * 2 })), 1000 + i * 3));
    }
    // The fetch is written last, behind every produce, and must see all of them.
    requests.push(
      world.frame(
        ApiKey.Fetch,
        FETCH_VERSION,
        {
          replicaId: -1,
          maxWaitMs: 2_000,
          minBytes: 1,
          maxBytes: 10 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 10 << 20 }] }],
          forgottenTopicsData: [],
          rackId: '',
        },
        9999,
      ),
    );
    const frames = await exchange(world.broker.port, Buffer.concat(requests), 51);
    expect(frames).toHaveLength(51);

    const produced = frames.slice(0, 50).map((frame) => {
      const d = decodeResponse(ApiKey.Produce, PRODUCE_VERSION, frame);
      if (!d.ok) throw d.error;
      const p = d.value.body.responses[0]!.partitionResponses[0]!;
      return { correlationId: d.value.correlationId, error: errorName(p.errorCode), baseOffset: p.baseOffset };
    });
    expect(produced.map((p) => p.correlationId)).toEqual(Array.from({ length: 50 }, (_, i) => 1000 + i * 3));
    expect(produced.map((p) => p.error)).toEqual(Array<string>(50).fill('NONE'));
    expect(produced.map((p) => p.baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));

    const fetched = decodeResponse(ApiKey.Fetch, FETCH_VERSION, frames[50]!);
    if (!fetched.ok) throw fetched.error;
    expect(fetched.value.correlationId).toBe(9999);
    const p = fetched.value.body.responses[0]!.partitions[0]!;
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.highWatermark).toBe(100);
    const records = readFetched(p.records).records;
    expect(records.map((r) => r.value)).toEqual(Array.from({ length: 50 }, (_, i) => [`m${i}`, `m${i}+`]).flat());
    expect(records.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
