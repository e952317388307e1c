// SASL through the dispatcher, as a client's frames arrive: what a connection on a SASL
// listener may send before it has authenticated, the handshake and authenticate answers
// Kafka gives (error codes and messages), the principal set on success, KIP-368
// re-authentication and expiry, and the per-address failure limit.

import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import type { ApiKeyNumber, ResponseTypes } from '@stratus/protocol';
import { ConnectionSession } from '../../../src/auth/principal.ts';
import { SaslAuthenticator, StaticCredentialStore } from '../../../src/auth/sasl/index.ts';
import type { SaslAuthenticatorOptions, SaslEvent } from '../../../src/auth/sasl/index.ts';
import { Dispatcher } from '../../../src/dispatcher.ts';
import type { ConnectionInfo } from '../../../src/dispatcher.ts';
import { defineHandler } from '../../../src/handler.ts';
import { apiVersionsHandler } from '../../../src/handlers/18-api-versions.ts';
import { saslHandshakeHandler } from '../../../src/handlers/17-sasl-handshake.ts';
import { saslAuthenticateHandler } from '../../../src/handlers/36-sasl-authenticate.ts';
import { ScramClient } from './scram-client.ts';

const USERS = [
  { name: 'alice', password: 'alice-secret' },
  { name: 'bob', password: 'bob-secret-1' },
];
const credentials = new StaticCredentialStore(USERS, 4096);

function setup(overrides: Partial<SaslAuthenticatorOptions> = {}) {
  let now = 1_000_000;
  const events: SaslEvent[] = [];
  const sasl = new SaslAuthenticator({
    mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    credentials,
    listeners: ['SASL'],
    maxReauthMs: 0,
    failedAuthenticationDelayMs: 0,
    failures: { maxFailures: 5, windowMs: 60_000 },
    iterations: 4096,
    nowMs: () => now,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  const heartbeat = defineHandler({ apiKey: ApiKey.Heartbeat, accept: [0, 4], handle: () => ({ errorCode: ErrorCode.NONE }) });
  const d: Dispatcher = new Dispatcher([apiVersionsHandler(() => d.registry.advertised()), heartbeat, saslHandshakeHandler(sasl), saslAuthenticateHandler(sasl)], {}, (apiKey, conn) => sasl.gate(apiKey, conn));
  let correlation = 0;
  const connect = (listenerName = 'SASL', remoteAddress = '10.0.0.1:5555'): Client => {
    const conn: ConnectionInfo = { connectionId: 1, listenerName, remoteAddress, signal: new AbortController().signal, session: new ConnectionSession() };
    async function send<K extends ApiKeyNumber>(apiKey: K, version: number, body: unknown): Promise<ResponseTypes[K] | 'closed'> {
      const r = await d.dispatch(encodeRequest(apiKey, version, ++correlation, 'test', body as never).subarray(4), conn);
      if (r.kind === 'close') return 'closed';
      if (r.kind !== 'response') throw new Error(r.kind);
      const decoded = decodeResponse(apiKey, version, Buffer.concat(r.chunks).subarray(4));
      if (!decoded.ok) throw new Error(decoded.error.message);
      return decoded.value.body;
    }
    const heartbeatReq = () => send(ApiKey.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' });
    const handshake = (mechanism: string) => send(ApiKey.SaslHandshake, 1, { mechanism });
    const authenticate = (bytes: string | Buffer) => send(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(bytes) });
    const plain = async (user: string, password: string) => {
      expect(await handshake('PLAIN')).toMatchObject({ errorCode: ErrorCode.NONE });
      return authenticate(`\u0000${user}\u0000${password}`);
    };
    const scram = async (mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', user: string, password: string) => {
      expect(await handshake(mechanism)).toMatchObject({ errorCode: ErrorCode.NONE });
      const client = new ScramClient(mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512', user, password, 'nonce-' + correlation);
      const first = await authenticate(client.first());
      if (first === 'closed' || first.errorCode !== ErrorCode.NONE) return first;
      const final = await authenticate(client.final(first.authBytes.toString()));
      if (final !== 'closed' && final.errorCode === ErrorCode.NONE) expect(final.authBytes.toString()).toBe(client.expectedServerFinal());
      return final;
    };
    return { conn, send, heartbeat: heartbeatReq, handshake, authenticate, plain, scram };
  };
  return { sasl, events, connect, advance: (ms: number) => (now += ms) };
}

type Client = {
  conn: ConnectionInfo;
  send: <K extends ApiKeyNumber>(apiKey: K, version: number, body: unknown) => Promise<ResponseTypes[K] | 'closed'>;
  heartbeat: () => Promise<unknown>;
  handshake: (m: string) => Promise<ResponseTypes[17] | 'closed'>;
  authenticate: (b: string | Buffer) => Promise<ResponseTypes[36] | 'closed'>;
  plain: (u: string, p: string) => Promise<ResponseTypes[36] | 'closed'>;
  scram: (m: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', u: string, p: string) => Promise<ResponseTypes[36] | 'closed'>;
};

describe('SASL on a SASL listener', () => {
  it('serves ApiVersions before authentication, closes the connection on any other request', async () => {
    const { connect } = setup();
    const c = connect();
    const versions = await c.send(ApiKey.ApiVersions, 3, {});
    expect(versions).not.toBe('closed');
    expect(await c.heartbeat()).toBe('closed');
    const d = connect();
    expect(await d.authenticate('x')).toBe('closed'); // SaslAuthenticate before SaslHandshake
  });

  it('PLAIN: the right password sets User:alice and the mechanism; requests are then served', async () => {
    const { connect, events } = setup();
    const c = connect();
    const r = await c.plain('alice', 'alice-secret');
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: '', sessionLifetimeMs: 0 });
    expect(c.conn.session!.principal).toEqual({ type: 'User', name: 'alice' });
    expect(c.conn.session!.saslMechanism).toBe('PLAIN');
    expect(await c.heartbeat()).toMatchObject({ errorCode: 0 });
    expect(events).toEqual([{ kind: 'authenticated', mechanism: 'PLAIN', principal: 'User:alice', remoteAddress: '10.0.0.1:5555', reauthentication: false }]);
  });

  it("PLAIN: a wrong password or unknown user gets Kafka's message, then the connection closes; no secret in the events", async () => {
    const { connect, events } = setup();
    for (const [user, password] of [['alice', 'wrong-password'], ['mallory', 'alice-secret']] as const) {
      const c = connect();
      expect(await c.plain(user, password)).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password' });
      expect(c.conn.session!.principal.name).toBe('ANONYMOUS');
      expect(await c.heartbeat()).toBe('closed');
    }
    expect(JSON.stringify(events)).not.toMatch(/wrong-password|alice-secret|mallory/);
  });

  it('SCRAM-SHA-256 and SCRAM-SHA-512 authenticate with the server signature checked by the client', async () => {
    const { connect } = setup();
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const c = connect();
      expect(await c.scram(mechanism, 'bob', 'bob-secret-1')).toMatchObject({ errorCode: ErrorCode.NONE });
      expect(c.conn.session!.principal).toEqual({ type: 'User', name: 'bob' });
      expect(c.conn.session!.saslMechanism).toBe(mechanism);
    }
  });

  it("SCRAM: a wrong password and an unknown user fail alike, with Kafka's message, after the same server-first", async () => {
    const { connect } = setup();
    for (const user of ['bob', 'nobody']) {
      const c = connect();
      expect(await c.scram('SCRAM-SHA-512', user, 'not-the-password')).toMatchObject({
        errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
        errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
      });
      expect(await c.heartbeat()).toBe('closed');
    }
  });

  it('an unknown or disabled mechanism: UNSUPPORTED_SASL_MECHANISM with the enabled list', async () => {
    const { connect } = setup({ mechanisms: ['SCRAM-SHA-512'] });
    const c = connect();
    expect(await c.handshake('PLAIN')).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-512'] });
    expect(await c.heartbeat()).toBe('closed');
    expect(await connect().handshake('GSSAPI')).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-512'] });
  });

  it('SaslHandshake v0 is advertised (librdkafka looks for it) but not served: UNSUPPORTED_VERSION, then the connection closes', async () => {
    const { connect } = setup();
    const c = connect();
    const versions = await c.send(ApiKey.ApiVersions, 3, {});
    if (versions === 'closed') throw new Error('closed');
    expect(versions.apiKeys.filter((a) => a.apiKey === ApiKey.SaslHandshake || a.apiKey === ApiKey.SaslAuthenticate)).toEqual([
      { apiKey: 17, minVersion: 0, maxVersion: 1 },
      { apiKey: 36, minVersion: 0, maxVersion: 2 },
    ]);
    expect(await c.send(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' })).toEqual({ errorCode: ErrorCode.UNSUPPORTED_VERSION, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    expect(await c.heartbeat()).toBe('closed');
  });

  it('SaslAuthenticate after success, or a second handshake without re-authentication: ILLEGAL_SASL_STATE', async () => {
    const { connect } = setup();
    const c = connect();
    await c.plain('alice', 'alice-secret');
    expect(await c.authenticate('x')).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication' });
    expect(await c.handshake('PLAIN')).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    expect(await c.heartbeat()).toMatchObject({ errorCode: 0 });
  });

  it('KIP-368: session_lifetime_ms is connections.max.reauth.ms; re-authentication renews it; an expired session is closed', async () => {
    const { connect, advance, events } = setup({ maxReauthMs: 10_000 });
    const c = connect();
    expect(await c.scram('SCRAM-SHA-512', 'alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 10_000 });
    advance(8_000);
    expect(await c.heartbeat()).toMatchObject({ errorCode: 0 });
    expect(await c.scram('SCRAM-SHA-512', 'alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 10_000 });
    expect(events.at(-1)).toMatchObject({ kind: 'authenticated', reauthentication: true });
    advance(8_000); // 16 s after the first authentication, 8 s after the second
    expect(await c.heartbeat()).toMatchObject({ errorCode: 0 });
    advance(2_000);
    expect(await c.heartbeat()).toBe('closed');
  });

  it('KIP-368: re-authenticating as someone else or with another mechanism fails and closes', async () => {
    const { connect, advance } = setup({ maxReauthMs: 10_000 });
    const c = connect();
    await c.plain('alice', 'alice-secret');
    advance(2_000);
    expect(await c.plain('bob', 'bob-secret-1')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Cannot change principals during re-authentication from User:alice: User:bob' });
    expect(await c.heartbeat()).toBe('closed');
    const d = connect();
    await d.plain('alice', 'alice-secret');
    advance(2_000);
    expect(await d.handshake('SCRAM-SHA-256')).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM });
    expect(await d.heartbeat()).toBe('closed');
  });

  it('after maxFailures from one address, even the right password fails there until the window ends; other addresses are unaffected', async () => {
    const { connect, advance } = setup({ failures: { maxFailures: 3, windowMs: 60_000 } });
    for (let i = 0; i < 3; i++) await connect('SASL', '10.9.9.9:1000').plain('alice', 'guess-' + i);
    expect(await connect('SASL', '10.9.9.9:1001').plain('alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: expect.stringMatching(/too many failed/) });
    expect(await connect('SASL', '10.1.1.1:1000').plain('alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE });
    advance(60_000);
    expect(await connect('SASL', '10.9.9.9:1002').plain('alice', 'alice-secret')).toMatchObject({ errorCode: ErrorCode.NONE });
  });

  it('holds a failure back by the failure delay', async () => {
    const { connect } = setup({ failedAuthenticationDelayMs: 150 });
    const c = connect();
    await c.handshake('PLAIN');
    const started = performance.now();
    expect(await c.authenticate('\u0000alice\u0000nope-nope')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('SASL configured, on a listener without it', () => {
  it('serves requests unauthenticated as User:ANONYMOUS and answers the SASL APIs with ILLEGAL_SASL_STATE', async () => {
    const { connect } = setup();
    const c = connect('PLAINTEXT');
    expect(await c.heartbeat()).toMatchObject({ errorCode: 0 });
    expect(await c.handshake('PLAIN')).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    expect(await c.authenticate('x')).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE });
  });

  it('a session marked SASL_PLAINTEXT by the network layer must authenticate whatever its listener is called', async () => {
    const { connect } = setup();
    const c = connect('OTHER');
    c.conn.session!.securityProtocol = 'SASL_PLAINTEXT';
    expect(await c.heartbeat()).toBe('closed');
  });
});
