// The per-connection frame limit before SASL authentication (Kafka's
// sasl.server.max.receive.size, auth/sasl/receive-limit.ts): on a connection that must
// authenticate and has not, a size prefix above the limit closes it at once, nothing of
// the body read; the same frame is served once the session has authenticated, and on a
// connection that need not authenticate. Found by test/fuzz/sasl-fuzz.test.ts (size family):
// the broker read and answered 1.5 MiB frames from clients that had sent no password.

import { afterEach, describe, expect, it } from 'vitest';
import { saslReceiveLimit, SASL_MAX_RECEIVE_BYTES } from '../../src/auth/sasl/receive-limit.ts';
import type { ConnectionInfo, DispatchResult } from '../../src/dispatcher.ts';
import { idOf, RawClient, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

/** Listener SASL must authenticate; the first request on a connection "authenticates" it when it carries id 1. */
function setup(limit = 1_000) {
  const requiresSasl = { requires: (conn: { listenerName: string }) => conn.listenerName === 'SASL' };
  const dispatch = async (frame: Buffer, conn: ConnectionInfo): Promise<DispatchResult> => {
    if (idOf(frame) === 1) conn.session!.saslMechanism = 'PLAIN';
    return respond(idOf(frame));
  };
  return startServer(dispatch, {
    listeners: [
      { name: 'SASL', host: '127.0.0.1', port: 0, securityProtocol: 'SASL_PLAINTEXT' },
      { name: 'PLAINTEXT', host: '127.0.0.1', port: 0 },
    ],
    requestMaxBytesFor: saslReceiveLimit(requiresSasl, limit),
  });
}

describe('frames before SASL authentication', () => {
  it("is Kafka's 512 KiB by default", () => {
    expect(SASL_MAX_RECEIVE_BYTES).toBe(524_288);
  });

  it('closes at once on a prefix above the limit before authentication, without buffering the body', async () => {
    const { server, ports } = await setup();
    const client = await RawClient.connect(ports.get('SASL')!);
    client.send(request(7, 996)); // exactly 1000 bytes: served
    await client.waitForResponses(1);
    client.send(Buffer.concat([request(8, 997), Buffer.alloc(50_000)]));
    await client.closed;
    await until(() => server.stats().connectionsOpen === 0, 'connection closed on the server');
    expect(client.ids()).toEqual([7]);
    expect(server.stats()).toMatchObject({ oversizedFrames: 1, framesIn: 1, bufferedBytes: 0 });
  });

  it('serves the same frame once the connection has authenticated, and on a listener without SASL', async () => {
    const { ports } = await setup();
    const sasl = await RawClient.connect(ports.get('SASL')!);
    sasl.send(request(1)); // authenticates
    await sasl.waitForResponses(1);
    sasl.send(request(2, 200_000));
    await sasl.waitForResponses(2);
    expect(sasl.ids()).toEqual([1, 2]);
    const plain = await RawClient.connect(ports.get('PLAINTEXT')!);
    plain.send(request(3, 200_000));
    await plain.waitForResponses(1);
    expect(plain.ids()).toEqual([3]);
  });
});
