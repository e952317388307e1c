// Limits that close connections: oversized and negative frame sizes (judged from the
// 4-byte prefix, before any body is buffered), the connection limit, the idle timeout.
// Slow senders (trickled bytes, the receive timeout) are in slow-clients.test.ts.

import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { deferred, idOf, RawClient, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

const echo = async (frame: Buffer): Promise<DispatchResult> => respond(idOf(frame));

function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size, 0);
  return b;
}

describe('frame size limits', () => {
  it('closes at once on a prefix claiming 1 GiB, without buffering anything', async () => {
    const { server, port } = await startServer(echo);
    const before = process.memoryUsage().arrayBuffers;
    const client = await RawClient.connect(port);
    client.send(sizePrefix(1024 * 1024 * 1024));
    await client.closed;
    await until(() => server.stats().connectionsOpen === 0, 'connection closed on the server');
    const stats = server.stats();
    expect(stats).toMatchObject({ oversizedFrames: 1, framesIn: 0, bytesIn: 4, bufferedBytes: 0, inFlightBytes: 0 });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('closes on a negative size', async () => {
    const { server, port } = await startServer(echo);
    const client = await RawClient.connect(port);
    client.send(sizePrefix(-1));
    await client.closed;
    await until(() => server.stats().connectionsOpen === 0, 'connection closed on the server');
    expect(server.stats().oversizedFrames).toBe(1);
  });

  it('accepts exactly socketRequestMaxBytes and closes one byte above, even mid-stream', async () => {
    const { server, port } = await startServer(echo, { socketRequestMaxBytes: 1000 });
    const client = await RawClient.connect(port);
    client.send(request(1, 996));
    await client.waitForResponses(1);
    // Valid frame, then an oversized prefix followed by body bytes the server must not keep.
    client.send(Buffer.concat([request(2), sizePrefix(1001), Buffer.alloc(5000)]));
    await client.closed;
    await until(() => server.stats().connectionsOpen === 0, 'connection closed on the server');
    expect(server.stats()).toMatchObject({ oversizedFrames: 1, framesIn: 2, bufferedBytes: 0 });
  });
});

describe('connection limit', () => {
  it('refuses connections above maxConnections and accepts again once one closes', async () => {
    const { server, port } = await startServer(echo, { maxConnections: 2 });
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await until(() => server.stats().connectionsOpen === 2, 'two connections accepted');
    const refused = await RawClient.connect(port);
    await refused.closed;
    expect(server.stats()).toMatchObject({ connectionsRefused: 1, connectionsAccepted: 2, connectionsOpen: 2 });

    a.socket.end();
    await until(() => server.stats().connectionsOpen === 1, 'first connection gone');
    const c = await RawClient.connect(port);
    c.send(request(9));
    await c.waitForResponses(1);
    b.send(request(8));
    await b.waitForResponses(1);
    expect(server.stats()).toMatchObject({ connectionsRefused: 1, connectionsAccepted: 3 });
  });
});

describe('idle timeout', () => {
  it('closes connections with nothing in flight for connectionsMaxIdleMs, not busy ones', async () => {
    const clock = new ManualClock();
    const pending = deferred<DispatchResult>();
    const { server, port } = await startServer(() => pending.promise, { clock, connectionsMaxIdleMs: 1_000, idleCheckIntervalMs: 100 });
    const idle = await RawClient.connect(port);
    const busy = await RawClient.connect(port);
    busy.send(request(1));
    await until(() => server.stats().framesIn === 1 && server.stats().connectionsOpen === 2, 'both accepted, one request in flight');

    await clock.advance(900);
    expect(idle.isClosed).toBe(false);
    await clock.advance(300);
    await idle.closed;
    expect(server.stats().connectionsIdleClosed).toBe(1);

    // In flight for far longer than the idle timeout: still open.
    await clock.advance(5_000);
    expect(busy.isClosed).toBe(false);
    pending.resolve(respond(1));
    await busy.waitForResponses(1);
    // Idle counts from the response.
    await clock.advance(800);
    expect(busy.isClosed).toBe(false);
    await clock.advance(300);
    await busy.closed;
    await until(() => server.stats().connectionsOpen === 0, 'server side closed');
    expect(server.stats().connectionsIdleClosed).toBe(2);
  });
});
