// Pipelining: many requests in flight per connection, completing in any order, answered
// strictly in request order; 'none' results take their slot silently; frames arrive in
// any split (one byte per segment, hundreds per segment).

import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { deferred, idOf, quiet, RawClient, request, requests, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

describe('pipelining and order', () => {
  it('answers 1,000 pipelined requests in order although they complete out of order', async () => {
    const seed = 20_240_601;
    const random = new SeededRandom(seed);
    let concurrent = 0;
    let maxConcurrent = 0;
    const { server, port } = await startServer(async (frame) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      await delay(random.int(4));
      concurrent--;
      return respond(idOf(frame), idOf(frame) % 7);
    });
    const client = await RawClient.connect(port);
    const ids = Array.from({ length: 1000 }, (_, i) => i);
    // One write: hundreds of frames arrive per TCP segment.
    client.send(requests(ids, 3));
    await client.waitForResponses(1000);
    expect(client.ids(), `seed ${seed}`).toEqual(ids);
    for (const r of client.responses) expect(r.length).toBe(4 + (r.readInt32BE(0) % 7));
    expect(maxConcurrent).toBeGreaterThan(1);
    expect(maxConcurrent).toBeLessThanOrEqual(100);
    const stats = server.stats();
    expect(stats).toMatchObject({ framesIn: 1000, responsesOut: 1000, bytesIn: 1000 * 11, inFlightRequests: 0, inFlightBytes: 0 });
    expect(stats.bytesOut).toBe(client.responses.reduce((n, r) => n + 4 + r.length, 0));
  });

  it('holds a fast response back until the slow one before it is written', async () => {
    const slow = deferred<DispatchResult>();
    let fastDone = false;
    const { port } = await startServer(async (frame) => {
      if (idOf(frame) === 1) return slow.promise;
      fastDone = true;
      return respond(idOf(frame));
    });
    const client = await RawClient.connect(port);
    client.send(requests([1, 2]));
    await until(() => fastDone, 'request 2 answered by dispatch');
    await quiet();
    expect(client.responses).toHaveLength(0);
    slow.resolve(respond(1));
    await client.waitForResponses(2);
    expect(client.ids()).toEqual([1, 2]);
  });

  it("keeps order when some requests return 'none' (acks=0)", async () => {
    const random = new SeededRandom(7);
    const { server, port } = await startServer(async (frame) => {
      await delay(random.int(3));
      return idOf(frame) % 3 === 0 ? { kind: 'none' } : respond(idOf(frame));
    });
    const client = await RawClient.connect(port);
    const ids = Array.from({ length: 300 }, (_, i) => i);
    client.send(requests(ids));
    const answered = ids.filter((id) => id % 3 !== 0);
    await client.waitForResponses(answered.length);
    expect(client.ids()).toEqual(answered);
    await until(() => server.stats().responsesNone === 100, 'all none results retired');
    expect(server.stats().inFlightRequests).toBe(0);
  });

  it('reassembles frames sent one byte per TCP segment', async () => {
    const { server, port } = await startServer(async (frame) => respond(idOf(frame), frame.length));
    const client = await RawClient.connect(port);
    const payloads = [0, 1, 5, 17, 0];
    const bytes = Buffer.concat(payloads.map((p, id) => request(id, p)));
    for (let i = 0; i < bytes.length; i++) {
      client.send(bytes.subarray(i, i + 1));
      // Wait until the server has seen this byte so the next one is a separate segment.
      await until(() => server.stats().bytesIn === i + 1, `byte ${i} received`);
    }
    await client.waitForResponses(payloads.length);
    expect(client.ids()).toEqual([0, 1, 2, 3, 4]);
    // Each dispatch saw exactly its own frame: id + payload.
    expect(client.responses.map((r) => r.length - 4)).toEqual(payloads.map((p) => 4 + p));
  });

  it('gives every connection its own id, address and order', async () => {
    const seen = new Map<number, string>();
    const random = new SeededRandom(3);
    const { port } = await startServer(async (frame, conn) => {
      seen.set(conn.connectionId, conn.remoteAddress);
      await delay(random.int(3));
      return respond(idOf(frame));
    });
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.connect(port)));
    const ids = Array.from({ length: 200 }, (_, i) => i);
    for (const c of clients) c.send(requests(ids));
    await Promise.all(clients.map((c) => c.waitForResponses(200)));
    for (const c of clients) expect(c.ids()).toEqual(ids);
    expect(seen.size).toBe(3);
    for (const address of seen.values()) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
