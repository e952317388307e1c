// SASL frames that arrive together on one connection (the dispatcher serves a connection's
// requests concurrently): each SaslHandshake and SaslAuthenticate waits for the one before
// it, as Kafka reads one at a time, so password guesses pipelined behind a failure are
// closed unanswered and a right one among them does not authenticate the connection. Found
// by test/fuzz/sasl-fuzz.test.ts (pipeline family); before the fix every guess was checked
// and answered, and the right one set the principal after the failure.

import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import { ConnectionSession } from '../../../src/auth/principal.ts';
import { SaslAuthenticator, StaticCredentialStore } from '../../../src/auth/sasl/index.ts';
import type { SaslEvent } from '../../../src/auth/sasl/index.ts';
import { inTurn } from '../../../src/auth/sasl/in-turn.ts';
import { Dispatcher } from '../../../src/dispatcher.ts';
import type { ConnectionInfo, DispatchResult } from '../../../src/dispatcher.ts';
import { defineHandler } from '../../../src/handler.ts';
import { apiVersionsHandler } from '../../../src/handlers/18-api-versions.ts';
import { saslHandshakeHandler } from '../../../src/handlers/17-sasl-handshake.ts';
import { saslAuthenticateHandler } from '../../../src/handlers/36-sasl-authenticate.ts';

const credentials = new StaticCredentialStore([{ name: 'alice', password: 'alice-secret' }], 4096);

function setup(failedAuthenticationDelayMs: number) {
  const events: SaslEvent[] = [];
  const sasl = new SaslAuthenticator({
    mechanisms: ['PLAIN', 'SCRAM-SHA-512'],
    credentials,
    listeners: ['SASL'],
    maxReauthMs: 0,
    failedAuthenticationDelayMs,
    failures: { maxFailures: 1_000, windowMs: 60_000 },
    iterations: 4096,
    nowMs: () => performance.now(),
    onEvent: (e) => events.push(e),
  });
  const heartbeat = defineHandler({ apiKey: ApiKey.Heartbeat, accept: [0, 4], handle: () => ({ errorCode: ErrorCode.NONE }) });
  const d: Dispatcher = new Dispatcher([apiVersionsHandler(() => d.registry.advertised()), heartbeat, saslHandshakeHandler(sasl), saslAuthenticateHandler(sasl)], {}, (apiKey, conn) => sasl.gate(apiKey, conn));
  const conn: ConnectionInfo = { connectionId: 1, listenerName: 'SASL', remoteAddress: '10.0.0.1:5555', signal: new AbortController().signal, session: new ConnectionSession() };
  /** Dispatches every frame at once, as the connection does with pipelined requests; the results in request order. */
  const pipelined = (frames: Buffer[]): Promise<DispatchResult[]> => Promise.all(frames.map((f) => d.dispatch(f.subarray(4), conn)));
  return { conn, events, pipelined };
}

const handshake = (corr: number, mechanism = 'PLAIN') => encodeRequest(ApiKey.SaslHandshake, 1, corr, 't', { mechanism });
const plain = (corr: number, password: string) => encodeRequest(ApiKey.SaslAuthenticate, 2, corr, 't', { authBytes: Buffer.from(`\u0000alice\u0000${password}`) });

function authAnswer(r: DispatchResult | undefined): { errorCode: number; errorMessage: string | null } | 'closed' {
  if (r?.kind === 'close') return 'closed';
  if (r?.kind !== 'response') throw new Error(`unexpected ${r?.kind}`);
  const decoded = decodeResponse(ApiKey.SaslAuthenticate, 2, Buffer.concat(r.chunks).subarray(4));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return { errorCode: decoded.value.body.errorCode, errorMessage: decoded.value.body.errorMessage };
}

describe('pipelined SASL frames', () => {
  it('guesses sent behind a failing PLAIN attempt are closed unanswered, the right one too', async () => {
    for (const delayMs of [0, 20]) {
      const { conn, events, pipelined } = setup(delayMs);
      const results = await pipelined([handshake(1), plain(2, 'guess-1'), plain(3, 'guess-2'), plain(4, 'alice-secret'), plain(5, 'guess-3')]);
      expect(results[0]!.kind).toBe('response');
      expect(authAnswer(results[1])).toEqual({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password' });
      expect(results.slice(2).map((r) => r.kind)).toEqual(['close', 'close', 'close']);
      expect(conn.session!.principal.name).toBe('ANONYMOUS');
      // One credential check, one failure: the guesses behind it were never checked.
      expect(events.map((e) => e.kind)).toEqual(['failed']);
    }
  });

  it('a pipelined login is served in order: success, then SaslAuthenticate again is ILLEGAL_SASL_STATE', async () => {
    const { conn, pipelined } = setup(0);
    const results = await pipelined([handshake(1), plain(2, 'alice-secret'), plain(3, 'alice-secret')]);
    expect(authAnswer(results[1])).toEqual({ errorCode: ErrorCode.NONE, errorMessage: '' });
    expect(authAnswer(results[2])).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication' });
    expect(conn.session!.principal).toEqual({ type: 'User', name: 'alice' });
  });

  it('a second handshake pipelined behind one closes the connection', async () => {
    const { pipelined } = setup(0);
    const results = await pipelined([handshake(1), handshake(2, 'SCRAM-SHA-512')]);
    expect(results.map((r) => r.kind)).toEqual(['response', 'close']);
  });
});

describe('inTurn', () => {
  it('runs steps of one key one after another, whether the earlier ones succeed or throw, and other keys alongside', async () => {
    const order: string[] = [];
    const a = {};
    const b = {};
    const slow = (name: string, ms: number, fail = false) => async () => {
      order.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      order.push(`${name} end`);
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([inTurn(a, slow('a1', 30, true)), inTurn(a, slow('a2', 1)), inTurn(b, slow('b1', 10)), inTurn(undefined, slow('free', 1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(order.indexOf('a2 start')).toBeGreaterThan(order.indexOf('a1 end'));
    expect(order.indexOf('b1 end')).toBeLessThan(order.indexOf('a1 end'));
  });
});
