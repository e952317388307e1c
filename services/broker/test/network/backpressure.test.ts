// Backpressure: when a budget is exhausted (in-flight requests, per-connection bytes,
// shared bytes, unsent responses) the server stops reading from the socket instead of
// buffering, and resumes when responses complete. A frame larger than the whole
// per-connection budget still runs, alone.

import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../src/dispatcher.ts';
import type { KafkaServer } from '../../src/network/index.ts';
import { deferred, idOf, quiet, RawClient, request, requests, respond, startServer, stopAllServers, until } from './support/harness.ts';
import type { Deferred } from './support/harness.ts';

afterEach(stopAllServers);

/** A dispatch whose requests wait until released; after `releaseAll` it answers at once. */
function gate(): { dispatch: (frame: Buffer) => Promise<DispatchResult>; releaseAll(): void; waiting: Map<number, Deferred<DispatchResult>> } {
  const waiting = new Map<number, Deferred<DispatchResult>>();
  let open = false;
  return {
    waiting,
    dispatch: async (frame) => {
      const id = idOf(frame);
      if (open) return respond(id);
      const d = deferred<DispatchResult>();
      waiting.set(id, d);
      return d.promise;
    },
    releaseAll() {
      open = true;
      for (const [id, d] of waiting) d.resolve(respond(id));
      waiting.clear();
    },
  };
}

/** Waits until the server reads nothing more: paused, and framesIn unchanged over a quiet spell. */
async function untilStalled(server: KafkaServer): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    await until(() => server.stats().connectionsReadPaused > 0, 'reading paused');
    const before = server.stats().framesIn;
    await quiet(30);
    const after = server.stats();
    if (after.framesIn === before && after.connectionsReadPaused > 0) return after.framesIn;
  }
  throw new Error('server never stopped reading');
}

const KiB = 1024;

describe('backpressure', () => {
  it('stops reading at maxInFlightRequestsPerConnection while dispatch hangs, resumes after', async () => {
    const g = gate();
    const { server, port } = await startServer(g.dispatch, { maxInFlightRequestsPerConnection: 10 });
    const client = await RawClient.connect(port);
    const ids = Array.from({ length: 5_000 }, (_, i) => i);
    const memoryBefore = process.memoryUsage().arrayBuffers;
    client.send(requests(ids, KiB)); // ~5 MiB the server must not swallow
    expect(await untilStalled(server)).toBe(10);
    const stats = server.stats();
    expect(stats.inFlightRequests).toBe(10);
    expect(stats.bytesIn).toBeLessThan(512 * KiB);
    expect(stats.bufferedBytes).toBeLessThan(256 * KiB);
    expect(stats.readPauses).toBeGreaterThanOrEqual(1);
    // The client's own 5 MiB copy is the only large allocation.
    expect(process.memoryUsage().arrayBuffers - memoryBefore).toBeLessThan(16 * 1024 * KiB);

    g.releaseAll();
    await client.waitForResponses(ids.length);
    expect(client.ids()).toEqual(ids);
    expect(server.stats()).toMatchObject({ connectionsReadPaused: 0, inFlightRequests: 0, inFlightBytes: 0, framesIn: 5_000 });
  });

  it('stops reading at maxInFlightBytesPerConnection', async () => {
    const g = gate();
    const { server, port } = await startServer(g.dispatch, { maxInFlightBytesPerConnection: 10_000 });
    const client = await RawClient.connect(port);
    const ids = Array.from({ length: 200 }, (_, i) => i);
    client.send(requests(ids, 1_000)); // 1,004-byte frames: 9 fit in 10,000
    expect(await untilStalled(server)).toBe(9);
    expect(server.stats().inFlightBytes).toBeLessThanOrEqual(10_000);
    g.releaseAll();
    await client.waitForResponses(ids.length);
    expect(client.ids()).toEqual(ids);
    expect(server.stats().inFlightBytes).toBe(0);
  });

  it('runs a frame larger than the per-connection budget alone instead of deadlocking', async () => {
    const sizes = new Map<number, number>();
    const inFlightAtDispatch = new Map<number, number>();
    const ref: { server?: KafkaServer } = {};
    const g = gate();
    const { server, port } = await startServer(
      async (frame) => {
        sizes.set(idOf(frame), frame.length);
        inFlightAtDispatch.set(idOf(frame), ref.server!.stats().inFlightRequests);
        return g.dispatch(frame);
      },
      { maxInFlightBytesPerConnection: 10_000, socketRequestMaxBytes: 1_000_000 },
    );
    ref.server = server;
    const client = await RawClient.connect(port);
    client.send(Buffer.concat([request(1), request(2, 500_000), request(3)]));
    await untilStalled(server);
    expect([...sizes.keys()]).toEqual([1]);
    g.waiting.get(1)!.resolve(respond(1));
    await until(() => sizes.has(2), 'big frame dispatched');
    expect(sizes.get(2)).toBe(500_004);
    // Alone: nothing else was in flight, and request 3 waits behind it.
    expect(inFlightAtDispatch.get(2)).toBe(1);
    await quiet();
    expect(sizes.has(3)).toBe(false);
    g.releaseAll();
    await client.waitForResponses(3);
    expect(client.ids()).toEqual([1, 2, 3]);
  });

  it('shares maxInFlightBytesTotal across connections', async () => {
    const g = gate();
    const { server, port } = await startServer(g.dispatch, { maxInFlightBytesTotal: 10_000 });
    const clients = await Promise.all([RawClient.connect(port), RawClient.connect(port)]);
    const ids = Array.from({ length: 100 }, (_, i) => i);
    for (const c of clients) c.send(requests(ids, 1_000));
    await until(() => server.stats().connectionsReadPaused === 2, 'both connections paused');
    const stalled = await untilStalled(server);
    expect(stalled).toBeLessThanOrEqual(9);
    expect(server.stats().inFlightBytes).toBeLessThanOrEqual(10_000);
    g.releaseAll();
    await Promise.all(clients.map((c) => c.waitForResponses(ids.length)));
    for (const c of clients) expect(c.ids()).toEqual(ids);
    expect(server.stats().inFlightBytes).toBe(0);
  });

  it('stops reading requests while the client does not read its responses', async () => {
    const payload = 256 * KiB;
    const { server, port } = await startServer(async (frame) => respond(idOf(frame), payload), {
      maxInFlightRequestsPerConnection: 4,
      socketWriteHighWaterBytes: 64 * KiB,
    });
    const client = await RawClient.connect(port);
    client.socket.pause(); // a slow reader: the kernel buffers fill up, then ours would
    const ids = Array.from({ length: 200 }, (_, i) => i); // 50 MiB of responses, more than kernel buffers hold
    client.send(requests(ids));
    const stalled = await untilStalled(server);
    expect(stalled).toBeLessThan(ids.length);
    // Requests stay in the kernel, not in the server: nothing buffered, few in flight.
    const stats = server.stats();
    expect(stats.inFlightRequests).toBeLessThanOrEqual(4);
    expect(stats.bufferedBytes).toBeLessThan(64 * KiB);
    client.socket.resume();
    await client.waitForResponses(ids.length);
    expect(client.ids()).toEqual(ids);
    expect(server.stats()).toMatchObject({ connectionsReadPaused: 0, framesIn: 200 });
  });
});
