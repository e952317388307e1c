// The response-byte budget: a request reserves only at its turn (every earlier request on
// its connection answered), answers a client does not read hold the shared budget until
// it reads them (or is closed for stalling) but not its small reserve, a connection's
// unread answers hold back its own next reservation, and an answer larger than the whole
// budget is still served.

import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { DispatchResult } from '../../src/dispatcher.ts';
import type { ResponseAllowance } from '../../src/handler.ts';
import { deferred, idOf, quiet, RawClient, request, requests, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

const MiB = 1024 * 1024;

/** A dispatch that reserves `sizes.get(id)` bytes before answering with that many. */
function reserving(sizes: Map<number, number>, reserved: Set<number>) {
  return async (frame: Buffer, _conn: unknown, budget: ResponseAllowance): Promise<DispatchResult> => {
    const id = idOf(frame);
    const bytes = sizes.get(id) ?? 0;
    if (!(await budget.reserve(bytes))) return { kind: 'close', reason: 'connection closing' };
    reserved.add(id);
    return respond(id, bytes);
  };
}

describe('response budget', () => {
  it('a request reserves only once every earlier request on its connection is answered', async () => {
    const first = deferred<DispatchResult>();
    const reserved = new Set<number>();
    const inner = reserving(new Map([[2, 1_000]]), reserved);
    const { server, port } = await startServer((frame, conn, budget) => (idOf(frame) === 1 ? first.promise : inner(frame, conn, budget)));
    const client = await RawClient.connect(port);
    client.send(requests([1, 2]));
    await until(() => server.stats().framesIn === 2, 'both dispatched');
    await quiet();
    expect(reserved.has(2)).toBe(false);
    expect(server.stats().responseBytes).toBe(0);
    first.resolve(respond(1));
    await client.waitForResponses(2);
    expect(client.ids()).toEqual([1, 2]);
    await until(() => server.stats().responseBytes === 0, 'answers taken by the kernel');
  });

  it('answers a client does not read hold the shared budget; other reservations wait until it reads', async () => {
    const reserved = new Set<number>();
    const { server, port } = await startServer(
      reserving(
        new Map([
          [1, 32 * MiB],
          [2, MiB],
        ]),
        reserved,
      ),
      { maxResponseBytesTotal: 4 * MiB },
    );
    const slow = await RawClient.connect(port);
    slow.socket.pause();
    slow.send(request(1));
    // Larger than the whole budget, but nothing else holds any: it runs alone.
    await until(() => reserved.has(1) && server.stats().responseBytes >= 32 * MiB, 'the large answer is written and unread');
    const other = await RawClient.connect(port);
    other.send(request(2));
    await until(() => server.stats().responseWaiting === 1, 'the second reservation waits');
    await quiet();
    expect(other.responses).toHaveLength(0);

    slow.socket.resume();
    await slow.waitForResponses(1);
    await other.waitForResponses(1);
    expect(other.ids()).toEqual([2]);
    await until(() => server.stats().responseBytes === 0 && server.stats().responseWaiting === 0, 'budget back');
  });

  it('large answers left unread do not hold up a small reservation: the small reserve is open', async () => {
    const reserved = new Set<number>();
    const { server, port } = await startServer(
      reserving(
        new Map([
          [1, 32 * MiB],
          [2, 4 * MiB],
          [3, 32 * 1024],
        ]),
        reserved,
      ),
      { maxResponseBytesTotal: 8 * MiB, smallResponseReserveBytes: MiB, smallResponseMaxBytes: 64 * 1024 },
    );
    const unread = await RawClient.connect(port);
    unread.socket.pause();
    unread.send(request(1));
    await until(() => reserved.has(1), 'the large answer is written and unread');
    const large = await RawClient.connect(port);
    large.send(request(2));
    await until(() => server.stats().responseWaiting === 1, 'a large reservation waits');
    const small = await RawClient.connect(port);
    small.send(request(3));
    await small.waitForResponses(1);
    expect(reserved.has(2)).toBe(false);

    unread.socket.resume();
    await large.waitForResponses(1);
    await until(() => server.stats().responseBytes === 0, 'budget back');
  });

  it('a connection’s next reservation waits while its unread answers exceed socketWriteHighWaterBytes', async () => {
    const reserved = new Set<number>();
    const { server, port } = await startServer(
      reserving(
        new Map([
          [1, 32 * MiB],
          [2, MiB],
        ]),
        reserved,
      ),
      { socketWriteHighWaterBytes: 64 * 1024 },
    );
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.send(requests([1, 2]));
    await until(() => reserved.has(1), 'first answer built');
    await quiet(50);
    // The shared budget (256 MiB) has room; the connection's own share does not.
    expect(reserved.has(2)).toBe(false);
    expect(server.stats().responseWaiting).toBe(0);
    client.socket.resume();
    await client.waitForResponses(2);
    expect(client.ids()).toEqual([1, 2]);
  });

  it('closes a connection that stops reading for responseStallTimeoutMs and gives its share to the waiting', async () => {
    const clock = new ManualClock();
    const reserved = new Set<number>();
    const { server, port } = await startServer(
      reserving(
        new Map([
          [1, 32 * MiB],
          [2, MiB],
        ]),
        reserved,
      ),
      { clock, maxResponseBytesTotal: 4 * MiB, responseStallTimeoutMs: 1_000, idleCheckIntervalMs: 100 },
    );
    const stalled = await RawClient.connect(port);
    stalled.socket.pause();
    stalled.send(request(1));
    await until(() => reserved.has(1), 'the large answer is written');
    const other = await RawClient.connect(port);
    other.send(request(2));
    await until(() => server.stats().responseWaiting === 1, 'the second reservation waits');
    // Let the kernel's buffers fill: from then on the stalled client takes nothing.
    await quiet(100);
    const started = clock.monotonicMs();
    // (The paused client cannot see the close: it reads nothing, not even the FIN.)
    for (let i = 0; i < 50 && server.stats().connectionsOpen === 2; i++) {
      await clock.advance(100);
      await quiet(2);
    }
    expect(server.stats()).toMatchObject({ connectionsOpen: 1, connectionsResponseStalled: 1, connectionsIdleClosed: 0 });
    expect(clock.monotonicMs() - started).toBeGreaterThanOrEqual(1_000);
    await other.waitForResponses(1);
    await until(() => server.stats().responseBytes === 0, 'budget back');
    stalled.socket.destroy();
  });

  it('a reading client is not stalled, however slowly its large answer drains', async () => {
    const clock = new ManualClock();
    const reserved = new Set<number>();
    const { server, port } = await startServer(reserving(new Map([[1, 32 * MiB]]), reserved), {
      clock,
      responseStallTimeoutMs: 1_000,
      idleCheckIntervalMs: 100,
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.send(request(1));
    await until(() => reserved.has(1), 'the large answer is written');
    // Read a little between sweeps: the answer is never complete within the timeout, but moves.
    for (let i = 0; i < 30; i++) {
      client.socket.resume();
      await quiet(1);
      client.socket.pause();
      await clock.advance(100);
    }
    expect(client.isClosed).toBe(false);
    client.socket.resume();
    await client.waitForResponses(1);
    expect(server.stats().connectionsResponseStalled).toBe(0);
  });
});
