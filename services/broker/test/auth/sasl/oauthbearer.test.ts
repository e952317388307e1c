// OAUTHBEARER: the client's initial response (RFC 7628 as Kafka parses it), the token
// validator against a JWKS file and a JWKS URL served here (good token; wrong issuer,
// audience, algorithm, signature; expired and not yet valid, inside and outside the clock
// skew; unknown key; key rotation), and the exchange through the authenticator: Kafka's
// error challenge, the failure that follows it, the principal, and the session lifetime
// bounded by the token (KIP-368).

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK, JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ConnectionSession } from '../../../src/auth/principal.ts';
import { SaslAuthenticator, StaticCredentialStore } from '../../../src/auth/sasl/index.ts';
import type { SaslEvent } from '../../../src/auth/sasl/index.ts';
import { OAUTHBEARER_INVALID_TOKEN, OAuthBearerValidator, parseOAuthBearerResponse } from '../../../src/auth/sasl/oauthbearer.ts';
import type { OAuthBearerValidatorOptions } from '../../../src/auth/sasl/oauthbearer.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'stratus';
const NOW_S = 1_800_000_000;

interface Key {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function key(kid: string, alg: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token with good claims unless told otherwise; a claim given as undefined is left out. */
function sign(k: Key, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const payload: JWTPayload = Object.fromEntries(Object.entries({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: NOW_S - 10, exp: NOW_S + 600, ...claims }).filter(([, v]) => v !== undefined));
  return new SignJWT(payload)
    .setProtectedHeader({ alg: k.alg, kid: k.kid, ...header })
    .sign(k.privateKey);
}

let dir: string;
let rsa: Key;
let ec: Key;
let other: Key;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stratus-oauthbearer-'));
  [rsa, ec, other] = await Promise.all([key('rsa-1', 'RS256'), key('ec-1', 'ES256'), key('other', 'RS256')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function jwksFile(...keys: Key[]): string {
  const path = join(dir, `jwks-${++files}.json`);
  writeFileSync(path, JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  return path;
}

function validator(overrides: Partial<OAuthBearerValidatorOptions> = {}): OAuthBearerValidator {
  return new OAuthBearerValidator({ jwks: { file: jwksFile(rsa, ec) }, issuer: ISSUER, audience: [AUDIENCE], nowMs: () => NOW_S * 1000, ...overrides });
}

const reasonOf = async (v: OAuthBearerValidator, token: string) => {
  const r = await v.validate(token);
  return r.ok ? 'accepted' : r.reason;
};

describe('the client initial response', () => {
  it('takes the token, the authorization id and extensions', () => {
    expect(parseOAuthBearerResponse(Buffer.from('n,,\u0001auth=Bearer a.b-c_d.e\u0001\u0001'))).toEqual({ authzid: '', token: 'a.b-c_d.e', extensions: new Map() });
    expect(parseOAuthBearerResponse(Buffer.from('n,a=alice,\u0001traceId=x y\u0001auth=bearer  tok\u0001\u0001'))).toEqual({ authzid: 'alice', token: 'tok', extensions: new Map([['traceId', 'x y']]) });
  });

  it('refuses what Kafka refuses', () => {
    for (const bad of ['', 'n,,\u0001auth=Bearer tok\u0001', 'y,,\u0001auth=Bearer tok\u0001\u0001', 'n,,\u0001\u0001', 'n,,\u0001auth=Basic tok\u0001\u0001', 'n,,\u0001auth=Bearer to=k\u0001\u0001', 'n,,\u0001auth=Bearer\u0001\u0001', 'n,,\u0001k1=v\u0001\u0001', 'n,a=a,b,\u0001auth=Bearer t\u0001\u0001']) {
      expect(parseOAuthBearerResponse(Buffer.from(bad)), JSON.stringify(bad)).toHaveProperty('error');
    }
  });
});

describe('the token validator (JWKS file)', () => {
  it('accepts a good token, with the principal from the sub claim, its scopes and expiry', async () => {
    const r = await validator().validate(await sign(rsa, { scope: 'read write' }));
    expect(r).toEqual({ ok: true, principal: 'alice', scopes: ['read', 'write'], expiresAtMs: (NOW_S + 600) * 1000 });
    expect(await validator().validate(await sign(ec, { scope: ['a'] }))).toMatchObject({ ok: true, principal: 'alice', scopes: ['a'] });
  });

  it('takes the principal from the configured claim, which must be a non-empty string', async () => {
    const v = validator({ subClaim: 'preferred_username' });
    expect(await v.validate(await sign(rsa, { preferred_username: 'bob' }))).toMatchObject({ ok: true, principal: 'bob' });
    expect(await reasonOf(v, await sign(rsa))).toContain('"preferred_username" claim');
    expect(await reasonOf(validator(), await sign(rsa, { sub: '  ' }))).toContain('"sub" claim');
  });

  it('refuses the wrong issuer or audience; any one expected audience will do', async () => {
    expect(await reasonOf(validator(), await sign(rsa, { iss: 'https://elsewhere.test' }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*iss/);
    expect(await reasonOf(validator(), await sign(rsa, { aud: 'another-service' }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*aud/);
    expect(await reasonOf(validator({ audience: ['x', AUDIENCE] }), await sign(rsa, { aud: [AUDIENCE, 'y'] }))).toBe('accepted');
  });

  it('refuses an expired or not yet valid token beyond the clock skew, accepts one inside it', async () => {
    const v = validator({ clockSkewMs: 30_000 });
    expect(await reasonOf(v, await sign(rsa, { exp: NOW_S - 31 }))).toMatch(/ERR_JWT_EXPIRED/);
    expect(await reasonOf(v, await sign(rsa, { exp: NOW_S - 20 }))).toBe('accepted');
    expect(await reasonOf(v, await sign(rsa, { nbf: NOW_S + 31 }))).toMatch(/ERR_JWT_CLAIM_VALIDATION_FAILED.*nbf/);
    expect(await reasonOf(v, await sign(rsa, { nbf: NOW_S + 20 }))).toBe('accepted');
    expect(await reasonOf(validator({ clockSkewMs: 0 }), await sign(rsa, { exp: NOW_S - 1 }))).toMatch(/ERR_JWT_EXPIRED/);
  });

  it('requires exp and iat, as Kafka does', async () => {
    expect(await reasonOf(validator(), await sign(rsa, { exp: undefined }))).toMatch(/"exp"/);
    expect(await reasonOf(validator(), await sign(rsa, { iat: undefined }))).toMatch(/"iat"/);
  });

  it('refuses a key it does not hold, a bad signature, an algorithm not allowed and alg none', async () => {
    expect(await reasonOf(validator(), await sign(other))).toMatch(/ERR_JWKS_NO_MATCHING_KEY/);
    // Signed by another key under a kid the JWKS has.
    expect(await reasonOf(validator(), await sign(other, {}, { kid: rsa.kid }))).toMatch(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    const [h, , s] = (await sign(rsa)).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, iat: NOW_S, exp: NOW_S + 600 })).toString('base64url');
    expect(await reasonOf(validator(), `${h}.${forged}.${s}`)).toMatch(/ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
    expect(await reasonOf(validator({ algorithms: ['RS256'] }), await sign(ec))).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED/);
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: rsa.kid })).toString('base64url')}.${forged}.`;
    expect(await reasonOf(validator(), none)).not.toBe('accepted');
    const hs = await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, iat: NOW_S, exp: NOW_S + 600 }).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(new TextEncoder().encode('k'.repeat(32)));
    expect(await reasonOf(validator(), hs)).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED/);
    expect(await reasonOf(validator(), 'not-a-jwt')).not.toBe('accepted');
  });

  it('re-reads the file when it changes: a new key is trusted, a removed one no longer', async () => {
    const path = jwksFile(rsa);
    const v = validator({ jwks: { file: path } });
    const old = await sign(rsa);
    const rotated = await sign(other);
    expect(await reasonOf(v, old)).toBe('accepted');
    expect(await reasonOf(v, rotated)).toMatch(/NO_MATCHING_KEY/);
    writeFileSync(path, JSON.stringify({ keys: [other.jwk] }));
    expect(await reasonOf(v, rotated)).toBe('accepted');
    expect(await reasonOf(v, old)).toMatch(/NO_MATCHING_KEY/);
    // Half-written: the keys in use stay.
    writeFileSync(path, '{"keys": [');
    expect(await reasonOf(v, rotated)).toBe('accepted');
  });

  it('refuses a missing or malformed file at start, and a JWKS URL in clear to another host', () => {
    expect(() => validator({ jwks: { file: join(dir, 'missing.json') } })).toThrow(/jwksFile/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"nokeys": 1}');
    expect(() => validator({ jwks: { file: bad } })).toThrow(/not a JWKS/);
    expect(() => validator({ jwks: { url: 'http://idp.example.com/jwks' } })).toThrow(/https/);
    expect(() => validator({ jwks: { url: 'ftp://127.0.0.1/jwks' } })).toThrow(/https/);
    expect(() => validator({ jwks: { url: 'http://127.0.0.1:1/jwks' } })).not.toThrow();
    expect(() => validator({ audience: [] })).toThrow(/audience/);
  });
});

describe('the token validator (JWKS URL)', () => {
  let server: Server;
  let served: Key[] = [];
  let fetches = 0;
  let stall = false;
  let base = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (stall) return; // never answers
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('fetches the keys once, and again when a token names a key it does not hold (rotation)', async () => {
    served = [rsa];
    fetches = 0;
    const v = validator({ jwks: { url: `${base}/jwks` }, jwksCooldownMs: 0 });
    expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
    expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
    expect(fetches).toBe(1);
    served = [rsa, other];
    expect(await reasonOf(v, await sign(other))).toBe('accepted');
    expect(fetches).toBe(2);
  });

  it('refetches for an unknown key at most once per cooldown', async () => {
    served = [rsa];
    fetches = 0;
    const v = validator({ jwks: { url: `${base}/jwks2` }, jwksCooldownMs: 60_000 });
    expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
    for (let i = 0; i < 5; i++) expect(await reasonOf(v, await sign(other))).toMatch(/NO_MATCHING_KEY/);
    expect(fetches).toBe(1);
  });

  it('keeps verifying with the last keys when a refresh fails, and asks again only after the cooldown', async () => {
    served = [rsa];
    fetches = 0;
    const errors: string[] = [];
    const v = validator({ jwks: { url: `${base}/jwks-outage` }, jwksRefreshMs: 1, jwksCooldownMs: 60_000, jwksTimeoutMs: 300, onJwksError: (r) => errors.push(r) });
    expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
    expect(fetches).toBe(1);
    stall = true;
    try {
      await new Promise((r) => setTimeout(r, 5));
      // The keys are stale (1 ms); the refresh times out; the last keys still verify.
      expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/ERR_JWKS_TIMEOUT/);
      // Within the cooldown the URL is not asked again: no wait, no new error.
      const started = Date.now();
      expect(await reasonOf(v, await sign(rsa))).toBe('accepted');
      expect(await reasonOf(v, await sign(other))).toMatch(/NO_MATCHING_KEY/);
      expect(Date.now() - started).toBeLessThan(250);
      expect(errors).toHaveLength(1);
    } finally {
      stall = false;
    }
  });

  it('fails within the timeout when the URL does not answer', async () => {
    stall = true;
    try {
      const v = validator({ jwks: { url: `${base}/slow` }, jwksTimeoutMs: 300 });
      const started = Date.now();
      expect(await reasonOf(v, await sign(rsa))).toMatch(/ERR_JWKS_TIMEOUT/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      stall = false;
    }
  });
});

describe('the OAUTHBEARER exchange', () => {
  function setup(maxReauthMs = 0) {
    let mono = 5_000;
    const events: SaslEvent[] = [];
    const sasl = new SaslAuthenticator({
      mechanisms: ['SCRAM-SHA-512', 'OAUTHBEARER'],
      credentials: new StaticCredentialStore([], 4096),
      oauthbearer: validator(),
      wallMs: () => NOW_S * 1000,
      listeners: ['SASL'],
      maxReauthMs,
      failedAuthenticationDelayMs: 0,
      failures: { maxFailures: 100, windowMs: 60_000 },
      iterations: 4096,
      nowMs: () => mono,
      onEvent: (e) => events.push(e),
    });
    const conn = { listenerName: 'SASL', remoteAddress: '10.0.0.1:1', session: new ConnectionSession() };
    const auth = (text: string) => sasl.authenticate(Buffer.from(text, 'latin1'), conn);
    const bearer = (token: string, authzid = '') => auth(`n,${authzid === '' ? '' : `a=${authzid}`},\u0001auth=Bearer ${token}\u0001\u0001`);
    return { sasl, conn, events, auth, bearer, advance: (ms: number) => (mono += ms) };
  }

  it('authenticates the token subject, with the session bounded by the token when no maximum is set', async () => {
    const t = setup();
    expect(t.sasl.handshake('OAUTHBEARER', t.conn)).toEqual({ errorCode: ErrorCode.NONE, mechanisms: ['SCRAM-SHA-512', 'OAUTHBEARER'] });
    const r = await t.bearer(await sign(rsa, { exp: NOW_S + 120 }));
    expect(r).toEqual({ errorCode: ErrorCode.NONE, errorMessage: '', authBytes: Buffer.alloc(0), sessionLifetimeMs: 120_000 });
    expect(t.conn.session.principal).toEqual({ type: 'User', name: 'alice' });
    expect(t.conn.session.saslMechanism).toBe('OAUTHBEARER');
    expect(t.sasl.gate(3, t.conn)).toBeUndefined();
    t.advance(120_000);
    expect(t.sasl.gate(3, t.conn)).toMatch(/expired/);
  });

  it('takes the smaller of connections.max.reauth.ms and the token\'s remaining life', async () => {
    const short = setup(60_000);
    short.sasl.handshake('OAUTHBEARER', short.conn);
    expect(await short.bearer(await sign(rsa, { exp: NOW_S + 600 }))).toMatchObject({ sessionLifetimeMs: 60_000 });
    const long = setup(600_000);
    long.sasl.handshake('OAUTHBEARER', long.conn);
    expect(await long.bearer(await sign(rsa, { exp: NOW_S + 90 }))).toMatchObject({ sessionLifetimeMs: 90_000 });
    // Past exp but inside the skew: accepted, and the session ends at the next request.
    const past = setup();
    past.sasl.handshake('OAUTHBEARER', past.conn);
    expect(await past.bearer(await sign(rsa, { exp: NOW_S - 5 }))).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 0 });
    expect(past.sasl.gate(3, past.conn)).toMatch(/expired/);
  });

  it('re-authenticates with a new token before expiry; a token of another subject is refused', async () => {
    const t = setup();
    t.sasl.handshake('OAUTHBEARER', t.conn);
    await t.bearer(await sign(rsa, { exp: NOW_S + 60 }));
    t.advance(50_000);
    expect(t.sasl.handshake('OAUTHBEARER', t.conn)).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await t.bearer(await sign(rsa, { exp: NOW_S + 3600 }))).toMatchObject({ errorCode: ErrorCode.NONE, sessionLifetimeMs: 3_600_000 });
    expect(t.events.at(-1)).toMatchObject({ kind: 'authenticated', reauthentication: true, principal: 'User:alice' });
    t.advance(1_000_000);
    expect(t.sasl.gate(3, t.conn)).toBeUndefined();
    t.advance(1_000);
    expect(t.sasl.handshake('OAUTHBEARER', t.conn)).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await t.bearer(await sign(rsa, { sub: 'mallory' }))).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Cannot change principals during re-authentication from User:alice: User:mallory' });
  });

  it('answers a refused token with Kafka\'s error challenge, then fails on the client\'s %x01', async () => {
    const t = setup();
    t.sasl.handshake('OAUTHBEARER', t.conn);
    const challenge = await t.bearer(await sign(rsa, { exp: NOW_S - 3600 }));
    expect(challenge).toEqual({ errorCode: ErrorCode.NONE, errorMessage: '', authBytes: Buffer.from(OAUTHBEARER_INVALID_TOKEN), sessionLifetimeMs: 0 });
    expect(t.conn.session.principal.name).toBe('ANONYMOUS');
    expect(await t.auth('\u0001')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: '{"status":"invalid_token"}' });
    expect(t.sasl.gate(3, t.conn)).toBe('SASL authentication failed');
    expect(t.events.at(-1)).toMatchObject({ kind: 'failed', mechanism: 'OAUTHBEARER', reason: expect.stringMatching(/ERR_JWT_EXPIRED/) });
    // No token in what is logged.
    expect(JSON.stringify(t.events)).not.toMatch(/eyJ/);
  });

  it('counts a refused token when the challenge goes out: hanging up before %x01 does not escape the failure limit', async () => {
    const sasl = new SaslAuthenticator({ mechanisms: ['OAUTHBEARER'], credentials: new StaticCredentialStore([], 4096), oauthbearer: validator(), wallMs: () => NOW_S * 1000, listeners: ['SASL'], maxReauthMs: 0, failedAuthenticationDelayMs: 0, failures: { maxFailures: 2, windowMs: 60_000 }, iterations: 4096, nowMs: () => 0 });
    const attempt = async (t: string) => {
      const conn = { listenerName: 'SASL', remoteAddress: '10.0.0.9:1', session: new ConnectionSession() };
      sasl.handshake('OAUTHBEARER', conn);
      return sasl.authenticate(Buffer.from(`n,,\u0001auth=Bearer ${t}\u0001\u0001`), conn);
    };
    // Two refused tokens, each connection dropped right after the challenge.
    expect(await attempt(await sign(other))).toMatchObject({ errorCode: ErrorCode.NONE, authBytes: Buffer.from(OAUTHBEARER_INVALID_TOKEN) });
    expect(await attempt(await sign(rsa, { aud: 'x' }))).toMatchObject({ errorCode: ErrorCode.NONE, authBytes: Buffer.from(OAUTHBEARER_INVALID_TOKEN) });
    // The address is now over its limit: even a good token is not looked at.
    expect(await attempt(await sign(rsa))).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: expect.stringContaining('too many failed authentications') });
  });

  it('ends the exchange when the client sends another token instead of %x01', async () => {
    const t = setup();
    t.sasl.handshake('OAUTHBEARER', t.conn);
    await t.bearer(await sign(other));
    expect(await t.bearer(await sign(rsa))).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: OAUTHBEARER_INVALID_TOKEN });
    expect(t.conn.session.principal.name).toBe('ANONYMOUS');
  });

  it('fails a malformed message with Kafka\'s generic answer, and an authorization id that is not the subject', async () => {
    const t = setup();
    t.sasl.handshake('OAUTHBEARER', t.conn);
    expect(await t.auth('n,,\u0001auth=Bearer\u0001\u0001')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed during authentication due to invalid credentials with SASL mechanism OAUTHBEARER' });
    const u = setup();
    u.sasl.handshake('OAUTHBEARER', u.conn);
    expect(await u.bearer(await sign(rsa), 'bob')).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: "Authentication failed: Client requested an authorization id (bob) that is different from the token's principal name (alice)" });
    const v = setup();
    v.sasl.handshake('OAUTHBEARER', v.conn);
    expect(await v.bearer(await sign(rsa), 'alice')).toMatchObject({ errorCode: ErrorCode.NONE });
  });

  it('is refused at construction when enabled without a validator', () => {
    expect(() => new SaslAuthenticator({ mechanisms: ['OAUTHBEARER'], credentials: new StaticCredentialStore([], 4096), maxReauthMs: 0, failedAuthenticationDelayMs: 0, failures: { maxFailures: 1, windowMs: 1 }, iterations: 4096, nowMs: () => 0 })).toThrow(/validator/);
  });
});
