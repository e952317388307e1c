// Seeded fuzzing of the SASL exchange through the dispatcher: SaslHandshake with random
// mechanism names, SaslAuthenticate with random bytes and with valid PLAIN and SCRAM
// messages mutated (bytes flipped, cut, repeated, separators inserted), in random order
// on many connections. Whatever arrives, the dispatcher answers with one of the SASL error
// codes or closes the connection (never a handler failure), and no connection ends up
// authenticated without having sent the password. STRATUS_SASL_FUZZ_SEED replays a run.

import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, encodeRequest, ErrorCode } from '@stratus/protocol';
import { ConnectionSession } from '../../../src/auth/principal.ts';
import { SaslAuthenticator, StaticCredentialStore } from '../../../src/auth/sasl/index.ts';
import { Dispatcher } from '../../../src/dispatcher.ts';
import type { ConnectionInfo } from '../../../src/dispatcher.ts';
import { defineHandler } from '../../../src/handler.ts';
import { apiVersionsHandler } from '../../../src/handlers/18-api-versions.ts';
import { saslHandshakeHandler } from '../../../src/handlers/17-sasl-handshake.ts';
import { saslAuthenticateHandler } from '../../../src/handlers/36-sasl-authenticate.ts';
import { ScramClient } from './scram-client.ts';

const SEED = Number(process.env['STRATUS_SASL_FUZZ_SEED'] ?? randomInt(0, 2 ** 31 - 1));
const CASES = 3000;
const PASSWORD = 'fuzz-password';

/** mulberry32: small, seeded, good enough to pick cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`SASL frames, fuzzed (seed ${SEED})`, () => {
  it('are answered with SASL errors or closed, never crash a handler, never authenticate without the password', async () => {
    const random = rng(SEED);
    const int = (n: number) => Math.floor(random() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
    const problems: string[] = [];
    const sasl = new SaslAuthenticator({
      mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
      credentials: new StaticCredentialStore([{ name: 'alice', password: PASSWORD }], 4096),
      listeners: ['SASL'],
      maxReauthMs: 60_000,
      failedAuthenticationDelayMs: 0,
      failures: { maxFailures: 1_000_000, windowMs: 60_000 },
      iterations: 4096,
      nowMs: () => performance.now(),
    });
    const heartbeat = defineHandler({ apiKey: ApiKey.Heartbeat, accept: [0, 4], handle: () => ({ errorCode: ErrorCode.NONE }) });
    const d: Dispatcher = new Dispatcher([apiVersionsHandler(() => d.registry.advertised()), heartbeat, saslHandshakeHandler(sasl), saslAuthenticateHandler(sasl)], { onProblem: (p) => problems.push(p) }, (k, c) => sasl.gate(k, c));

    const mutate = (b: Buffer): Buffer => {
      const out = Buffer.from(b);
      switch (int(6)) {
        case 0:
          if (out.length > 0) {
            const at = int(out.length);
            out[at] = out[at]! ^ (1 << int(8));
          }
          return out;
        case 1:
          return out.subarray(0, int(out.length + 1));
        case 2:
          return Buffer.concat([out, out]);
        case 3:
          return Buffer.concat([out.subarray(0, int(out.length + 1)), Buffer.from(pick([',', '=', '\u0000', ',p=', ',r=', 'n,,', '=2C', '=3D', '\u00ff']))]);
        case 4:
          return Buffer.from(Array.from({ length: int(200) }, () => int(256)));
        default:
          return out;
      }
    };

    const allowed = new Set<number>([ErrorCode.NONE, ErrorCode.ILLEGAL_SASL_STATE, ErrorCode.UNSUPPORTED_SASL_MECHANISM, ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.UNSUPPORTED_VERSION]);
    let correlation = 0;
    let authenticatedHonestly = 0;
    for (let c = 0; c < CASES; ) {
      const conn: ConnectionInfo = { connectionId: c, listenerName: 'SASL', remoteAddress: '10.0.0.1:1', signal: new AbortController().signal, session: new ConnectionSession() };
      const scram = new ScramClient(pick(['sha256', 'sha512'] as const), 'alice', PASSWORD, `n${c}`);
      let sentPassword = false;
      let mechanism = 'PLAIN';
      for (let step = 0; step < 6 && c < CASES; step++, c++) {
        const kind = int(10);
        let frame: Buffer;
        let apiKey: 17 | 36 | 12;
        let version: number;
        if (kind < 3) {
          apiKey = ApiKey.SaslHandshake;
          version = int(2);
          mechanism = pick(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'GSSAPI', '', 'plain', 'SCRAM-SHA-512\u0000', 'x'.repeat(int(300))]);
          frame = encodeRequest(apiKey, version, ++correlation, 'fuzz', { mechanism });
        } else if (kind < 9) {
          apiKey = ApiKey.SaslAuthenticate;
          version = int(3);
          const honest = mechanism === 'PLAIN' ? Buffer.from(`\u0000alice\u0000${PASSWORD}`) : Buffer.from(int(2) === 0 ? scram.first() : 'c=biws,r=x,p=AAAA');
          const bytes = int(4) === 0 ? honest : mutate(honest);
          if (bytes.includes(PASSWORD)) sentPassword = true;
          frame = encodeRequest(apiKey, version, ++correlation, 'fuzz', { authBytes: bytes });
        } else {
          apiKey = ApiKey.Heartbeat;
          version = 4;
          frame = encodeRequest(apiKey, version, ++correlation, 'fuzz', { groupId: 'g', generationId: 1, memberId: 'm' });
        }
        const r = await d.dispatch(frame.subarray(4), conn);
        if (r.kind === 'close') break;
        expect(r.kind).toBe('response');
        if (r.kind !== 'response') break;
        const decoded = decodeResponse(apiKey, version, Buffer.concat(r.chunks).subarray(4));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) break;
        const body = decoded.value.body as { errorCode: number };
        expect(allowed.has(body.errorCode), `error ${body.errorCode}`).toBe(true);
      }
      if (conn.session!.principal.name !== 'ANONYMOUS') {
        // SCRAM cannot be completed by mutation without the password; PLAIN only with it.
        expect(conn.session!.saslMechanism).toBe('PLAIN');
        expect(sentPassword).toBe(true);
        authenticatedHonestly++;
      }
    }
    expect(problems.filter((p) => /handler for API \d+ failed|encoding the API/.test(p))).toEqual([]);
    expect(authenticatedHonestly).toBeGreaterThan(0); // the honest path is exercised too
  }, 60_000);
});
