// Per-IP connection limits (Kafka's max.connections.per.ip and its overrides): the
// overrides format, refusal on accept, counting, and room again once a connection closes.

import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchResult } from '../../src/dispatcher.ts';
import { normalizeIp, parseConnectionsPerIpOverrides } from '../../src/network/ip-limits.ts';
import { KafkaServer } from '../../src/network/index.ts';
import { idOf, RawClient, request, respond, startServer, stopAllServers, until } from './support/harness.ts';

afterEach(stopAllServers);

const echo = async (frame: Buffer): Promise<DispatchResult> => respond(idOf(frame));

describe('max.connections.per.ip.overrides', () => {
  it('parses address:count pairs, IPv6 included, folding IPv4-mapped addresses', () => {
    const parsed = parseConnectionsPerIpOverrides(' 127.0.0.1:2, ::1:5,[fe80::1]:3,::FFFF:10.0.0.1:7,, ');
    expect([...parsed]).toEqual([
      ['127.0.0.1', 2],
      ['::1', 5],
      ['fe80::1', 3],
      ['10.0.0.1', 7],
    ]);
    expect(parseConnectionsPerIpOverrides('').size).toBe(0);
    expect(normalizeIp('::ffff:192.168.0.9')).toBe('192.168.0.9');
  });

  it('rejects what is not address:count, naming the entry', () => {
    expect(() => parseConnectionsPerIpOverrides('10.0.0.1')).toThrow(/"10.0.0.1" is not address:count/);
    expect(() => parseConnectionsPerIpOverrides('10.0.0.1:-1')).toThrow(/not address:count/);
    expect(() => parseConnectionsPerIpOverrides('10.0.0.1:many')).toThrow(/not address:count/);
    expect(() => parseConnectionsPerIpOverrides('broker-host:5')).toThrow(/"broker-host" .* is not an IP address/);
    expect(() => new KafkaServer(echo, { maxConnectionsPerIpOverrides: 'x:1' })).toThrow(/maxConnectionsPerIpOverrides/);
  });
});

describe('max.connections.per.ip', () => {
  it('closes connections beyond the per-address limit on accept, counts them, and has room once one closes', async () => {
    const { server, port } = await startServer(echo, { maxConnectionsPerIp: 2 });
    const a = await RawClient.connect(port);
    const b = await RawClient.connect(port);
    await until(() => server.stats().connectionsOpen === 2, 'two accepted');
    const refused = await RawClient.connect(port);
    await refused.closed;
    expect(server.stats()).toMatchObject({ connectionsRefusedPerIp: 1, connectionsRefused: 0, connectionsAccepted: 2, connectionsOpen: 2 });

    a.socket.end();
    await until(() => server.stats().connectionsOpen === 1, 'one closed');
    const c = await RawClient.connect(port);
    c.send(request(3));
    await c.waitForResponses(1);
    b.send(request(2));
    await b.waitForResponses(1);
    expect(server.stats()).toMatchObject({ connectionsRefusedPerIp: 1, connectionsAccepted: 3 });
  });

  it('applies an override instead of the default for its address', async () => {
    const { server, port } = await startServer(echo, { maxConnectionsPerIp: 100, maxConnectionsPerIpOverrides: '127.0.0.1:1' });
    const a = await RawClient.connect(port);
    await until(() => server.stats().connectionsOpen === 1, 'one accepted');
    const refused = await RawClient.connect(port);
    await refused.closed;
    expect(server.stats().connectionsRefusedPerIp).toBe(1);
    a.send(request(1));
    await a.waitForResponses(1);
  });
});
