// Several listeners on one server (Kafka's `listeners`): each is its own socket and each
// connection knows which one it came through, while the limits are the server's — one
// maxConnections for all of them — and a listener that cannot bind undoes the others.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { KafkaServer } from '../../src/network/index.ts';
import { idOf, RawClient, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

const TWO = [
  { name: 'INTERNAL', host: '127.0.0.1', port: 0 },
  { name: 'EXTERNAL', host: '127.0.0.1', port: 0 },
];

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('KafkaServer with several listeners', () => {
  it('accepts on each and tells dispatch which listener a connection came through', async () => {
    const seen: string[] = [];
    const { server, ports } = await startServer(async (frame, conn): Promise<DispatchResult> => {
      seen.push(`${idOf(frame)}@${conn.listenerName}`);
      return respond(idOf(frame));
    }, { listeners: TWO });
    const internal = ports.get('INTERNAL')!;
    const external = ports.get('EXTERNAL')!;
    expect(internal).toBeGreaterThan(0);
    expect(external).toBeGreaterThan(0);
    expect(external).not.toBe(internal);
    const a = await RawClient.connect(internal);
    const b = await RawClient.connect(external);
    a.send(request(1));
    await a.waitForResponses(1);
    b.send(request(2));
    await b.waitForResponses(1);
    expect(seen).toEqual(['1@INTERNAL', '2@EXTERNAL']);
    expect(server.stats()).toMatchObject({ connectionsOpen: 2, connectionsAccepted: 2, responsesOut: 2, connectionsOpenByListener: { INTERNAL: 1, EXTERNAL: 1 } });
    await RawClient.connect(external);
    await until(() => server.stats().connectionsOpenByListener['EXTERNAL'] === 2, 'a second EXTERNAL connection counted');
    expect(server.stats().connectionsOpenByListener).toEqual({ INTERNAL: 1, EXTERNAL: 2 });
  });

  it('counts every listener against one maxConnections', async () => {
    const { server, ports } = await startServer(async (frame) => respond(idOf(frame)), { listeners: TWO, maxConnections: 2 });
    await RawClient.connect(ports.get('INTERNAL')!);
    await RawClient.connect(ports.get('EXTERNAL')!);
    await until(() => server.stats().connectionsOpen === 2, 'two connections');
    const third = await RawClient.connect(ports.get('EXTERNAL')!);
    await third.closed;
    expect(server.stats()).toMatchObject({ connectionsOpen: 2, connectionsRefused: 1 });
  });

  it('closes the listeners it bound when a later one cannot bind, naming it', async () => {
    const taken = await startServer(async () => ({ kind: 'none' }));
    const server = new KafkaServer(async () => ({ kind: 'none' }), { listeners: [{ name: 'FIRST', host: '127.0.0.1', port: 0 }, { name: 'SECOND', host: '127.0.0.1', port: taken.port }] });
    const failed = await server.listen().then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException & { listener?: string },
    );
    expect(failed?.code).toBe('EADDRINUSE');
    expect(failed?.listener).toBe('SECOND');
    await server.close({ drainTimeoutMs: 0 });
  });

  it('stops accepting on every listener when closed', async () => {
    const { server, ports } = await startServer(async (frame) => respond(idOf(frame)), { listeners: TWO });
    const client = await RawClient.connect(ports.get('EXTERNAL')!);
    await server.close({ drainTimeoutMs: 1_000 });
    await client.closed;
    for (const port of ports.values()) expect(await accepts(port)).toBe(false);
  });

  it('refuses listener lists it cannot serve', () => {
    const dispatch = async (): Promise<DispatchResult> => ({ kind: 'none' });
    expect(() => new KafkaServer(dispatch, { listeners: [] })).toThrow(/at least one listener/);
    expect(() => new KafkaServer(dispatch, { listeners: [TWO[0]!, { ...TWO[1]!, name: 'INTERNAL' }] })).toThrow(/unique/);
    expect(() => new KafkaServer(dispatch, { listeners: TWO, port: 9092 })).toThrow(/not both/);
  });
});
