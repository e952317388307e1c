// The failure limiter watched from outside, beside the fuzzing: one client address
// (127.0.0.250) fails maxFailuresPerAddress times at once; its next login with the right
// password must be refused unchecked ("too many failed authentications"), a login from a
// neighbouring address must not, and once the window has passed the first address must
// log in again. Proves the lockout is per address and lasts one window, no longer.

import { ApiKey, decodeResponse, encodeRequest } from '@stratus/protocol';
import type { SaslEndpoints } from './sasl-runner.ts';
import { WireConnection } from './wire.ts';

export const LOCKED_OUT_ADDRESS = '127.0.0.250';
export const NEIGHBOUR_ADDRESS = '127.0.0.251';
export const TOO_MANY_FAILURES = 'Authentication failed: too many failed authentications from this address, try again later';

export interface LoginAnswer {
  readonly errorCode: number | 'closed';
  readonly errorMessage: string | null;
}

/** PLAIN over the SASL_PLAINTEXT listener from `localAddress`: the SaslAuthenticate answer. */
export async function plainLogin(e: SaslEndpoints, localAddress: string, user: string, password: string): Promise<LoginAnswer> {
  const conn = await WireConnection.connect(e.host, e.clearPort, 5_000, { localAddress });
  try {
    conn.writeAndForget(Buffer.concat([encodeRequest(ApiKey.SaslHandshake, 1, 1, 'limiter', { mechanism: 'PLAIN' }), encodeRequest(ApiKey.SaslAuthenticate, 2, 2, 'limiter', { authBytes: Buffer.from(`\u0000${user}\u0000${password}`) })]));
    const handshake = await conn.next(10_000);
    const auth = await conn.next(10_000);
    if (handshake.kind !== 'frame' || auth.kind !== 'frame') return { errorCode: 'closed', errorMessage: null };
    const decoded = decodeResponse(ApiKey.SaslAuthenticate, 2, auth.frame);
    if (!decoded.ok) throw new Error(`SaslAuthenticate answer does not decode: ${decoded.error.message}`);
    return { errorCode: decoded.value.body.errorCode, errorMessage: decoded.value.body.errorMessage };
  } finally {
    conn.destroy();
  }
}

export interface LimiterReport {
  readonly failuresSent: number;
  readonly burstMs: number;
  readonly lockedOut: LoginAnswer;
  readonly lockedOutAfterMs: number;
  readonly neighbour: LoginAnswer;
  readonly recovered: LoginAnswer;
  readonly recoveredAfterMs: number;
}

export async function watchLimiter(e: SaslEndpoints, user: { name: string; password: string }, maxFailures: number, windowMs: number): Promise<LimiterReport> {
  const started = performance.now();
  let sent = 0;
  const fail = async (): Promise<void> => {
    while (sent < maxFailures) {
      sent++;
      // An empty password: refused without a credential check, and counted as a failure.
      await plainLogin(e, LOCKED_OUT_ADDRESS, user.name, '').catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 50 }, fail));
  const burstMs = performance.now() - started;
  const lockedOut = await plainLogin(e, LOCKED_OUT_ADDRESS, user.name, user.password);
  const lockedOutAfterMs = performance.now() - started;
  const neighbour = await plainLogin(e, NEIGHBOUR_ADDRESS, user.name, user.password);
  // The window began with the first failure the broker counted: after `started`, and (two
  // seconds being far more than a login takes) before `started` + 2 s.
  const wait = started + windowMs + 2_000 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const recovered = await plainLogin(e, LOCKED_OUT_ADDRESS, user.name, user.password);
  return { failuresSent: sent, burstMs: Math.round(burstMs), lockedOut, lockedOutAfterMs: Math.round(lockedOutAfterMs), neighbour, recovered, recoveredAfterMs: Math.round(performance.now() - started) };
}
