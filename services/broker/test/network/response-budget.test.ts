// The response-byte budget: a request reserves only at its turn (every earlier request on
// its connection answered), answers a client does not read hold the shared budget until
// it reads them (or is closed for stalling) but not its small reserve, a connection's
// unread answers hold back its own next reservation, and an answer larger than the whole
// budget is still served.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { DispatchResult } from '../../src/dispatcher.ts';
import type { ResponseAllowance } from '../../src/handler.ts';
import { advanceBySweeps, deferred, idOf, quiet, RawClient, request, requests, respond, startServer, stopAllServers, until } from './support/harness.ts';

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
      await advanceBySweeps(clock, 100, 100);
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
      await advanceBySweeps(clock, 100, 100);
    }
    expect(client.isClosed).toBe(false);
    client.socket.resume();
    await client.waitForResponses(1);
    expect(server.stats().connectionsResponseStalled).toBe(0);
  });

  // Linux's send buffer (autotuned up to 4 MiB) wakes the writer only once a third of it
  // is free, so libuv's queue stands still while the client reads over a MiB: at 8 KiB/s,
  // nearly three minutes. Only the kernel's unacknowledged bytes (/proc/net/tcp) show it.
  it.skipIf(!existsSync('/proc/net/tcp'))('a client reading 8 KiB a second is never stalled with the 30 s default; once it stops, it is', async () => {
    const clock = new ManualClock();
    const { server, port } = await startServer(async (frame) => respond(idOf(frame), 32 * MiB), { clock });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.send(request(1));
    await until(() => server.stats().responsesOut === 1, 'the answer is written');
    // Let the kernel's buffers fill: from then on only the client's reading moves anything.
    await quiet(100);
    // Its TCP acknowledges in steps of ~93–120 KiB here (a Node client takes 64 KiB from
    // its kernel at a time, and the segment size is 64 KiB on loopback): the broker sees it
    // read every 12–15 s. (At 4 KiB/s that is 23–30 s: about the slowest a loopback client
    // can read and be seen within 30 s.)
    let read = 0;
    for (let second = 0; second < 120; second++) {
      read += take(client, 8 * 1024);
      await quiet(3);
      await advanceBySweeps(clock, 1_000, 1_000);
      expect(server.stats().connectionsOpen, `closed after ${second + 1} s, ${read} bytes read`).toBe(1);
    }
    expect(read).toBeGreaterThanOrEqual(119 * 8 * 1024);
    expect(server.stats().connectionsResponseStalled).toBe(0);
    // It stops reading: closed within the stall timeout and a sweep, counted from the last
    // step its TCP acknowledged, at the latest in the first sweep after the stop (once a
    // delayed ACK, real time, has gone out).
    await quiet(250);
    const stopped = clock.monotonicMs();
    for (let i = 0; i < 40 && server.stats().connectionsResponseStalled === 0; i++) await advanceBySweeps(clock, 1_000, 1_000);
    expect(server.stats().connectionsResponseStalled).toBe(1);
    expect(clock.monotonicMs() - stopped).toBeLessThanOrEqual(31_000);
    await until(() => server.stats().connectionsOpen === 0, 'closed');
  });
});

/** Reads up to `bytes` of what a paused client's socket has buffered, as a slow application would. */
function take(client: RawClient, bytes: number): number {
  let n = 0;
  while (n < bytes && client.socket.readableLength > 0) {
    const chunk = client.socket.read(Math.min(bytes - n, client.socket.readableLength)) as Buffer | null;
    if (chunk === null) break;
    n += chunk.length;
  }
  // Asks the socket to refill its buffer from the kernel, taking nothing.
  if (n < bytes) client.socket.read(0);
  return n;
}
