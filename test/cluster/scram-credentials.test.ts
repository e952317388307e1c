// SCRAM credentials across a real cluster (2 controllers on Redis, 2 brokers): a user
// created through one broker (AlterUserScramCredentials, as kafka-configs.sh sends it)
// authenticates on the other at once; a changed password and a deletion made through the
// first count on the second within moments (the second broker had the old credential
// cached: the SCRAM version in the metadata watch drops it), measured and printed; after a
// SIGKILL of the active controller the standby, reading Redis, serves the same credentials.
// Clients speak the raw protocol (SaslHandshake / SaslAuthenticate with the RFC's SCRAM
// client) to one broker's SASL_PLAINTEXT listener at a time.

import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest } from '@stratus/protocol';
import type { ApiKeyNumber, ResponseTypes } from '@stratus/protocol';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { ScramClient } from '../support/scram-client.ts';

const ADMIN_PASSWORD = randomBytes(12).toString('base64url');
const FIRST = randomBytes(12).toString('base64url');
const SECOND = randomBytes(12).toString('base64url');
const SHA512 = 2;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({
    ports: 'free',
    brokers: 2,
    controllers: 2,
    secondListener: { name: 'SASL', advertisedHost: '127.0.0.1' },
    brokerEnv: {
      STRATUS_KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,SASL:SASL_PLAINTEXT',
      STRATUS_SASL_MECHANISMS: 'SCRAM-SHA-512',
      STRATUS_SASL_ADMIN_USER: 'admin',
      STRATUS_SASL_ADMIN_PASSWORD: ADMIN_PASSWORD,
      STRATUS_SASL_FAILED_AUTHENTICATION_DELAY: '10ms',
      STRATUS_SASL_MAX_FAILURES_PER_ADDRESS: '100000',
    },
  });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** One connection, one request at a time. */
async function call<K extends ApiKeyNumber>(socket: Socket, state: { buffered: Buffer; correlation: number }, apiKey: K, version: number, body: unknown): Promise<ResponseTypes[K] | 'closed'> {
  socket.write(encodeRequest(apiKey, version, ++state.correlation, 'scram-cluster', body as never));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (state.buffered.length >= 4 && state.buffered.length >= 4 + state.buffered.readInt32BE(0)) {
      const size = state.buffered.readInt32BE(0);
      const frame = state.buffered.subarray(4, 4 + size);
      state.buffered = state.buffered.subarray(4 + size);
      const decoded = decodeResponse(apiKey, version, frame);
      if (!decoded.ok) throw new Error(decoded.error.message);
      return decoded.value.body as ResponseTypes[K];
    }
    if (socket.destroyed) return 'closed';
    if (Date.now() > deadline) throw new Error('no answer in 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function withConnection<T>(port: number, fn: (send: <K extends ApiKeyNumber>(apiKey: K, version: number, body: unknown) => Promise<ResponseTypes[K] | 'closed'>) => Promise<T>): Promise<T> {
  const socket = connect(port, '127.0.0.1');
  const state = { buffered: Buffer.alloc(0), correlation: 0 };
  socket.on('data', (d: Buffer) => (state.buffered = Buffer.concat([state.buffered, d])));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  try {
    return await fn((apiKey, version, body) => call(socket, state, apiKey, version, body));
  } finally {
    socket.destroy();
  }
}

const plainPort = (broker: number): number => cluster.brokers[broker]!.kafkaPort;
const saslPort = (broker: number): number => cluster.brokers[broker]!.listeners.find((l) => l.name === 'SASL')!.port;

/** AlterUserScramCredentials as kafka-configs.sh sends it (the client salts), through the broker's PLAINTEXT listener. */
async function alter(broker: number, change: { upsert?: string; delete?: true }, user = 'alice'): Promise<number> {
  const salt = randomBytes(32);
  const upsertions = change.upsert === undefined ? [] : [{ name: user, mechanism: SHA512, iterations: 4096, salt, saltedPassword: pbkdf2Sync(change.upsert, salt, 4096, 64, 'sha512') }];
  const deletions = change.delete ? [{ name: user, mechanism: SHA512 }] : [];
  const r = await withConnection(plainPort(broker), (send) => send(ApiKey.AlterUserScramCredentials, 0, { deletions, upsertions }));
  if (r === 'closed') throw new Error('closed');
  return r.results[0]!.errorCode;
}

/** A full SCRAM-SHA-512 exchange on the broker's SASL listener: whether it authenticated. */
async function authenticates(broker: number, user: string, password: string): Promise<boolean> {
  return withConnection(saslPort(broker), async (send) => {
    const hs = await send(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
    if (hs === 'closed' || hs.errorCode !== 0) throw new Error('handshake refused');
    const client = new ScramClient('sha512', user, password, randomBytes(18).toString('base64url'));
    const first = await send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(client.first()) });
    if (first === 'closed') return false;
    if (first.errorCode !== 0) return false;
    const last = await send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(client.final(first.authBytes.toString())) });
    return last !== 'closed' && last.errorCode === 0;
  });
}

/** Polls until the broker answers `expected` for the password; the milliseconds it took. */
async function within(broker: number, user: string, password: string, expected: boolean, limitMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if ((await authenticates(broker, user, password)) === expected) return Date.now() - start;
    if (Date.now() - start > limitMs) throw new Error(`broker ${broker} still ${expected ? 'refuses' : 'accepts'} ${user} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('SCRAM credentials in a cluster (controllers on Redis)', () => {
  it('a user created through one broker authenticates on the other; changes and deletions count there within moments', async () => {
    expect(await authenticates(1, 'alice', FIRST)).toBe(false);
    expect(await alter(0, { upsert: FIRST })).toBe(0);
    // Broker 1 had "no alice" cached from the attempt above: the change must reach it.
    const created = await within(1, 'alice', FIRST, true, 5000);
    expect(await authenticates(1, 'alice', SECOND)).toBe(false);
    // The configured admin still authenticates on every broker.
    expect(await authenticates(0, 'admin', ADMIN_PASSWORD)).toBe(true);
    expect(await authenticates(1, 'admin', ADMIN_PASSWORD)).toBe(true);

    // Broker 1 has alice's first credential cached now.
    expect(await authenticates(1, 'alice', FIRST)).toBe(true);
    expect(await alter(0, { upsert: SECOND })).toBe(0);
    const changed = await within(1, 'alice', SECOND, true, 5000);
    expect(await authenticates(1, 'alice', FIRST)).toBe(false);

    expect(await alter(0, { delete: true })).toBe(0);
    const deleted = await within(1, 'alice', SECOND, false, 5000);
    console.log(`SCRAM changes made through broker 0, counted on broker 1 after: created ${created} ms, changed ${changed} ms, deleted ${deleted} ms`);
    expect(Math.max(created, changed, deleted)).toBeLessThan(2000);
  }, 60_000);

  it('after a SIGKILL of the active controller, the standby (reading Redis) serves the same credentials', async () => {
    expect(await alter(1, { upsert: FIRST }, 'bob')).toBe(0);
    const active = await cluster.activeController();
    expect(active).toBeDefined();
    const standby = cluster.controllers.find((c) => c !== active)!;
    await active!.signal('SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((await standby.metric('stratus_controller_role', 'role="active"')) !== 1) {
      if (Date.now() > deadline) throw new Error('the standby did not take over in 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    // A broker asks the new active controller (its cache was dropped: the SCRAM version it is pushed may differ).
    await within(0, 'bob', FIRST, true, 20_000);
    const described = await withConnection(plainPort(0), (send) => send(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'bob' }, { name: 'alice' }] }));
    if (described === 'closed') throw new Error('closed');
    expect(described.results.map((r) => [r.user, r.errorCode, r.credentialInfos.map((c) => [c.mechanism, c.iterations])])).toEqual([
      ['bob', 0, [[SHA512, 4096]]],
      ['alice', 91, []],
    ]);
    active!.restart();
  }, 90_000);
});
