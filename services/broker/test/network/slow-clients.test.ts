// Slow and greedy senders: a request body must arrive within the receive timeout (counted
// from its budget grant, not from a wait for the broker's budget, and only while the
// server reads the socket); trickled bytes are not activity for the idle timeout, while
// answers still being read keep a connection from being idle; and connections that
// announce large frames and trickle them cannot block other connections' small requests.
// Time is a manual clock.

import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { advanceBySweeps, deferred, idOf, quiet, RawClient, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

const KiB = 1024;
const echo = async (frame: Buffer): Promise<DispatchResult> => respond(idOf(frame));

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

/** Sends `bytes` and waits until the server has read them (so each is its own segment). */
async function sendAndSee(client: RawClient, bytes: Buffer, bytesIn: () => number, total: number): Promise<void> {
  client.send(bytes);
  await until(() => bytesIn() === total, `server read ${total} bytes`);
}

describe('request receive timeout', () => {
  it('closes a connection whose body does not arrive in time, after answering what came before', async () => {
    const clock = new ManualClock();
    const { server, port } = await startServer(echo, { clock, requestReceiveTimeoutMs: 3_000, connectionsMaxIdleMs: 1_000, idleCheckIntervalMs: 100 });
    const client = await RawClient.connect(port);
    const slow = request(2, 1_000);
    const head = Buffer.concat([request(1), slow.subarray(0, 500)]);
    await sendAndSee(client, head, () => server.stats().bytesIn, head.length);
    await client.waitForResponses(1);
    expect(server.stats().inFlightBytes).toBe(1_004);
    // One byte every 500 ms: longer than the idle timeout, which does not apply to a body
    // being received; the receive timeout (3 s from the reservation) does.
    for (let i = 0; i < 6; i++) {
      expect(client.isClosed, `open at ${clock.monotonicMs()} ms`).toBe(false);
      await sendAndSee(client, slow.subarray(500 + i, 501 + i), () => server.stats().bytesIn, head.length + i + 1);
      await clock.advance(i < 5 ? 500 : 600);
    }
    await until(() => client.isClosed, 'closed by the receive timeout although bytes kept coming');
    await until(() => server.stats().connectionsOpen === 0, 'server side closed');
    expect(client.ids()).toEqual([1]);
    expect(server.stats()).toMatchObject({ connectionsReceiveTimedOut: 1, connectionsIdleClosed: 0, inFlightBytes: 0, bufferedBytes: 0 });
  });

  it('counts from the budget grant: a wait for the shared budget is not the client’s fault', async () => {
    const clock = new ManualClock();
    const first = deferred<DispatchResult>();
    const { server, port } = await startServer((frame) => (idOf(frame) === 1 ? first.promise : echo(frame)), {
      clock,
      maxInFlightBytesTotal: 2_000,
      smallRequestReserveBytes: 0,
      requestReceiveTimeoutMs: 1_000,
      idleCheckIntervalMs: 100,
    });
    const holder = await RawClient.connect(port);
    holder.send(request(1, 1_500));
    await until(() => server.stats().framesIn === 1, 'first request holds 1,504 bytes');
    const waiting = await RawClient.connect(port);
    waiting.send(request(2, 1_000).subarray(0, 600));
    await until(() => server.stats().bytesIn === 1_508 + 600, 'second connection read its prefix');
    await clock.advance(5_000);
    expect(waiting.isClosed).toBe(false);

    first.resolve(respond(1));
    await holder.waitForResponses(1);
    await until(() => server.stats().inFlightBytes === 1_004, 'second request reserved');
    await clock.advance(900);
    expect(waiting.isClosed).toBe(false);
    await clock.advance(200);
    await until(() => waiting.isClosed, 'closed by the receive timeout, counted from the grant');
    expect(server.stats()).toMatchObject({ connectionsReceiveTimedOut: 1, inFlightBytes: 0 });
    expect(holder.isClosed).toBe(false);
  });
});

describe('request receive timeout while the server does not read', () => {
  const MiB = 1024 * 1024;

  /**
   * Request 2's size and first half are read, and 2 s of its 3 s receive timeout pass
   * while the server reads; then request 1 is answered with 32 MiB the client does not
   * read, far over the write high-water mark: the server stops reading.
   */
  async function pausedWithHalfABody() {
    const clock = new ManualClock();
    const first = deferred<DispatchResult>();
    const { server, port } = await startServer((frame) => (idOf(frame) === 1 ? first.promise : echo(frame)), {
      clock,
      requestReceiveTimeoutMs: 3_000,
      socketWriteHighWaterBytes: 64 * KiB,
      idleCheckIntervalMs: 100,
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    const second = request(2, 100_000);
    const head = Buffer.concat([request(1), second.subarray(0, 50_000)]);
    await sendAndSee(client, head, () => server.stats().bytesIn, head.length);
    await advanceBySweeps(clock, 2_000, 100);
    expect(server.stats().connectionsReceiveTimedOut).toBe(0);
    first.resolve(respond(1, 32 * MiB));
    await until(() => server.stats().connectionsReadPaused === 1, 'reading paused: the answer is over the high-water mark');
    return { clock, server, client, rest: second.subarray(50_000) };
  }

  it('a body sent whole while the server stopped reading is not late, however long the pause', async () => {
    const { clock, server, client, rest } = await pausedWithHalfABody();
    // Sent in full: it waits in the kernel, where the server does not read it.
    client.send(rest);
    await quiet(20);
    await advanceBySweeps(clock, 10_000, 100);
    await quiet(5);
    expect(server.stats()).toMatchObject({ connectionsReceiveTimedOut: 0, connectionsReadPaused: 1 });
    client.socket.resume();
    await client.waitForResponses(2);
    expect(client.ids()).toEqual([1, 2]);
    expect(server.stats()).toMatchObject({ connectionsReceiveTimedOut: 0, inFlightBytes: 0 });
    expect(client.isClosed).toBe(false);
  });

  it('counts the time before the pause and after it, not the pause', async () => {
    const { clock, server, client } = await pausedWithHalfABody();
    await advanceBySweeps(clock, 10_000, 100);
    await quiet(5);
    expect(server.stats().connectionsReceiveTimedOut).toBe(0);
    client.socket.resume();
    await client.waitForResponses(1);
    await until(() => server.stats().connectionsReadPaused === 0, 'reading again');
    // 2 s counted before the pause: 1 s left.
    await advanceBySweeps(clock, 900, 100);
    await quiet(5);
    expect(server.stats().connectionsReceiveTimedOut).toBe(0);
    await advanceBySweeps(clock, 200, 100);
    await until(() => client.isClosed, 'closed by the receive timeout');
    expect(client.ids()).toEqual([1]);
    expect(server.stats()).toMatchObject({ connectionsReceiveTimedOut: 1, inFlightBytes: 0 });
  });
});

describe('idle timeout and trickled bytes', () => {
  it('does not count bytes of an unfinished size prefix as activity', async () => {
    const clock = new ManualClock();
    const { server, port } = await startServer(echo, { clock, connectionsMaxIdleMs: 1_000, requestReceiveTimeoutMs: 60_000, idleCheckIntervalMs: 100 });
    const client = await RawClient.connect(port);
    const prefix = sizePrefix(10);
    for (let i = 0; i < 3 && !client.isClosed; i++) {
      await sendAndSee(client, prefix.subarray(i, i + 1), () => server.stats().bytesIn, i + 1);
      await clock.advance(400);
    }
    await clock.advance(100);
    await until(() => client.isClosed, 'closed as idle although it trickled');
    expect(server.stats()).toMatchObject({ connectionsIdleClosed: 1, connectionsReceiveTimedOut: 0 });
  });

  it('a connection whose answer is still being read is not idle; the idle time counts from the last byte taken', async () => {
    const clock = new ManualClock();
    const { server, port } = await startServer(async (frame) => respond(idOf(frame), 32 * 1024 * KiB), { clock, connectionsMaxIdleMs: 1_000, idleCheckIntervalMs: 100 });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.send(request(1));
    await until(() => server.stats().responsesOut === 1, 'the answer is written');
    await advanceBySweeps(clock, 5_000, 100);
    await quiet(5);
    expect(server.stats()).toMatchObject({ connectionsIdleClosed: 0, connectionsOpen: 1 });
    client.socket.resume();
    await client.waitForResponses(1);
    await until(() => server.stats().responseBytes === 0, 'the kernel took the whole answer');
    await advanceBySweeps(clock, 900, 100);
    await quiet(5);
    expect(server.stats().connectionsIdleClosed).toBe(0);
    await advanceBySweeps(clock, 200, 100);
    await until(() => client.isClosed, 'closed as idle');
    expect(server.stats()).toMatchObject({ connectionsIdleClosed: 1, connectionsResponseStalled: 0 });
  });
});

describe('fair request budget', () => {
  it('eight connections announcing large frames and trickling them do not block a small request', async () => {
    const clock = new ManualClock();
    // 1 MiB shared; the last 128 KiB (an eighth, the default) only for requests up to that size.
    const { server, port } = await startServer(echo, {
      clock,
      maxInFlightBytesTotal: 1024 * KiB,
      socketRequestMaxBytes: 300 * KiB,
      requestReceiveTimeoutMs: 10_000,
      idleCheckIntervalMs: 100,
    });
    const attackers = await Promise.all(Array.from({ length: 8 }, () => RawClient.connect(port)));
    for (const a of attackers) a.send(Buffer.concat([sizePrefix(250 * KiB), Buffer.alloc(10)]));
    await until(() => server.stats().bytesIn === 8 * 14, 'all eight prefixes read');
    await quiet();

    const good = await RawClient.connect(port);
    good.send(request(7, 2 * KiB));
    await good.waitForResponses(1);
    expect(good.ids()).toEqual([7]);
    // 896 KiB for large requests: three hold 750 KiB, five wait.
    expect(server.stats()).toMatchObject({ inFlightWaiting: 5 });

    // The holders time out and give their share to the waiting ones: none starves.
    let admitted = 3;
    while (server.stats().connectionsReceiveTimedOut < 8) {
      await clock.advance(10_000);
      await until(() => server.stats().connectionsReceiveTimedOut >= admitted, `${admitted} timed out`);
      admitted = Math.min(8, admitted + 3);
      await quiet(5);
    }
    for (const a of attackers) await until(() => a.isClosed, 'attacker closed');
    expect(server.stats()).toMatchObject({ inFlightBytes: 0, inFlightWaiting: 0, connectionsReceiveTimedOut: 8 });
    good.send(request(8));
    await good.waitForResponses(2);
  });
});
