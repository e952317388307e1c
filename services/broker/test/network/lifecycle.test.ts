// How connections and the server end: a 'close' result (after earlier responses), dispatch
// failures, graceful shutdown with and without a drain timeout, and clients that vanish
// mid-frame or mid-response. Nothing may crash, leak budget, or leave a connection open.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { ConnectionInfo, DispatchResult } from '../../src/dispatcher.ts';
import { KafkaServer } from '../../src/network/index.ts';
import { deferred, idOf, quiet, RawClient, request, requests, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

describe("'close' results and dispatch failures", () => {
  it('closes after the earlier responses, drops later ones, aborts the signal', async () => {
    const first = deferred<DispatchResult>();
    const signals: AbortSignal[] = [];
    const closed: string[] = [];
    let closeSettled = false;
    const { server, port } = await startServer(
      async (frame, conn) => {
        signals.push(conn.signal);
        const id = idOf(frame);
        if (id === 1) return first.promise;
        if (id === 3) {
          closeSettled = true;
          return { kind: 'close', reason: 'test says close' };
        }
        return respond(id);
      },
      { onConnectionClosed: (_conn, reason) => closed.push(reason) },
    );
    const client = await RawClient.connect(port);
    client.send(requests([1, 2, 3, 4, 5]));
    await until(() => closeSettled, "request 3's close result");
    await quiet();
    // Request 1 is still running: nothing written, connection open, signal not aborted.
    expect(client.responses).toHaveLength(0);
    expect(client.isClosed).toBe(false);
    expect(signals[0]!.aborted).toBe(false);

    first.resolve(respond(1));
    await client.closed;
    expect(client.ids()).toEqual([1, 2]);
    expect(signals.every((s) => s.aborted)).toBe(true);
    await until(() => server.stats().connectionsOpen === 0, 'server side closed');
    expect(closed).toEqual(['test says close']);
    expect(server.stats()).toMatchObject({ inFlightRequests: 0, inFlightBytes: 0, responsesOut: 2 });
  });

  it('closes the connection when dispatch rejects, throws or returns nonsense', async () => {
    const bad: Record<number, () => Promise<DispatchResult>> = {
      1: () => Promise.reject(new Error('bug')),
      2: () => {
        throw new Error('synchronous bug');
      },
      3: () => Promise.resolve({ kind: 'what' } as unknown as DispatchResult),
    };
    for (const id of [1, 2, 3]) {
      const { server, port } = await startServer((frame) => (idOf(frame) === id ? bad[id]!() : Promise.resolve(respond(idOf(frame)))));
      const client = await RawClient.connect(port);
      client.send(requests([0, id, 9]));
      await client.closed;
      expect(client.ids(), `failure ${id}`).toEqual([0]);
      expect(server.stats().dispatchFailures).toBe(1);
    }
  });
});

describe('graceful shutdown', () => {
  it('stops accepting and reading, finishes in-flight requests, then closes', async () => {
    const pending = [deferred<DispatchResult>(), deferred<DispatchResult>(), deferred<DispatchResult>()];
    const { server, port } = await startServer((frame) => pending[idOf(frame)]?.promise ?? Promise.resolve(respond(idOf(frame))));
    const client = await RawClient.connect(port);
    client.send(requests([0, 1, 2]));
    await until(() => server.stats().framesIn === 3, 'three requests in flight');

    let done = false;
    const closePromise = server.close({ drainTimeoutMs: 10_000 });
    const closing = closePromise.then(() => (done = true));
    await expect(RawClient.connect(port)).rejects.toThrow(/ECONNREFUSED/);
    client.send(request(3)); // not read any more
    pending[1]!.resolve(respond(1));
    pending[0]!.resolve(respond(0));
    await client.waitForResponses(2);
    await quiet();
    expect(done).toBe(false);
    pending[2]!.resolve(respond(2));
    await closing;
    await client.closed;
    expect(client.ids()).toEqual([0, 1, 2]);
    expect(server.stats()).toMatchObject({ framesIn: 3, connectionsOpen: 0, inFlightRequests: 0, inFlightBytes: 0 });
    expect(server.close()).toBe(closePromise);
  });

  it('cuts connections still busy after drainTimeoutMs and aborts their signals', async () => {
    const clock = new ManualClock();
    let conn: ConnectionInfo | undefined;
    const { server, port } = await startServer(
      (_frame, c) => {
        conn = c;
        return new Promise<DispatchResult>(() => undefined);
      },
      { clock },
    );
    const client = await RawClient.connect(port);
    client.send(request(1));
    await until(() => conn !== undefined, 'request dispatched');
    const closing = server.close({ drainTimeoutMs: 1_000 });
    await clock.advance(999);
    expect(conn!.signal.aborted).toBe(false);
    await clock.advance(1);
    await closing;
    await client.closed;
    expect(conn!.signal.aborted).toBe(true);
    expect(server.stats().connectionsOpen).toBe(0);
    // The abandoned request keeps its budget until its dispatch settles (it never does).
    expect(server.stats().inFlightRequests).toBe(1);
  });

  it('listen reports the bound port; close works before listen and after close', async () => {
    const idle = new KafkaServer(async () => ({ kind: 'none' }), { host: '127.0.0.1', port: 0 });
    await idle.close();
    await expect(idle.listen()).rejects.toThrow(/closed/);

    const { server, port } = await startServer(async () => ({ kind: 'none' }));
    expect(port).toBeGreaterThan(0);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
  });
});

describe('abrupt client disconnects', () => {
  it('mid-frame: no leak, whether the client closes or resets', async () => {
    const { server, port } = await startServer(async (frame) => respond(idOf(frame)));
    for (let i = 0; i < 20; i++) {
      const client = await RawClient.connect(port);
      client.send(Buffer.concat([request(1), request(2, 1000).subarray(0, 500)]));
      await client.waitForResponses(1);
      if (i % 2 === 0) client.socket.destroy();
      else client.socket.resetAndDestroy();
    }
    await until(() => server.stats().connectionsOpen === 0, 'all connections closed');
    expect(server.stats()).toMatchObject({ framesIn: 20, bufferedBytes: 0, inFlightBytes: 0, inFlightRequests: 0, connectionsReadPaused: 0 });
  });

  it('mid-response: write errors close only that connection; late dispatches release budget', async () => {
    const late = deferred<DispatchResult>();
    const { server, port } = await startServer(async (frame) => {
      const id = idOf(frame);
      return id === 2 ? late.promise : respond(id, 8 * 1024 * 1024);
    });
    const bystander = await RawClient.connect(port);
    const client = await RawClient.connect(port);
    client.send(requests([1, 2, 3]));
    await new Promise<void>((resolve) => client.socket.once('data', () => resolve()));
    client.socket.resetAndDestroy();
    await until(() => server.stats().connectionsOpen === 1, 'reset connection closed');
    late.resolve(respond(2));
    await until(() => server.stats().inFlightRequests === 0, 'late dispatch released');
    expect(server.stats().inFlightBytes).toBe(0);
    bystander.send(request(7));
    await bystander.waitForResponses(1);
    expect(bystander.ids()).toEqual([7]);
  });

  it('a raw socket that connects and leaves at once is cleaned up', async () => {
    const { server, port } = await startServer(async (frame) => respond(idOf(frame)));
    await Promise.all(
      Array.from(
        { length: 20 },
        () =>
          new Promise<void>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => s.resetAndDestroy());
            s.on('error', () => undefined);
            s.on('close', () => resolve());
          }),
      ),
    );
    await until(() => server.stats().connectionsOpen === 0 && server.stats().connectionsAccepted === 20, 'all accepted and closed');
  });
});
