// SASL/OAUTHBEARER (RFC 7628) as Kafka serves it (KIP-255, KIP-768): the client's one
// message carries a JWT (`n,[a=authzid],\x01auth=Bearer <jwt>\x01[key=value\x01...]\x01`).
// The broker verifies the token's signature against a JWKS — a file, re-read when it
// changes, or an HTTPS URL, fetched with a bounded timeout and cached, fetched again when
// a token names a key it does not hold (how a provider's key rotation reaches us), its
// last keys kept through an outage — then its algorithm (an allow-list; never `none`),
// issuer, audience, exp and iat (required, as Kafka's BrokerJwtValidator requires them)
// and nbf, with a clock skew. The principal is a claim (Kafka's
// sasl.oauthbearer.sub.claim.name, `sub` by default). The token's expiry bounds the
// session (KIP-368; authenticator.ts).
//
// There is no "unsecured" mode (Kafka's OAuthBearerUnsecuredValidatorCallbackHandler,
// which takes `alg: none` tokens): anyone can write such a token, so it authenticates no
// one, and a locally signed token with a JWKS file does everything it is used for in tests.

import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey, RemoteJWKSet } from 'jose';

/** Algorithms a token may be signed with (asymmetric only: a JWKS holds public keys). */
export const OAUTHBEARER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type OAuthBearerAlgorithm = (typeof OAUTHBEARER_ALGORITHMS)[number];

/** The challenge a client is sent when its token is refused (Kafka's OAuthBearerSaslServer with OAuthBearerValidatorCallbackHandler). */
export const OAUTHBEARER_INVALID_TOKEN = '{"status":"invalid_token"}';

/** Defaults, in one place: Kafka's where it has one. */
export const OAUTHBEARER_DEFAULTS = {
  subClaim: 'sub',
  scopeClaim: 'scope',
  /** sasl.oauthbearer.clock.skew.seconds. */
  clockSkewMs: 30_000,
  /** A JWKS URL that does not answer within this fails the authentication (the client is told invalid_token). */
  jwksTimeoutMs: 5_000,
  /** sasl.oauthbearer.jwks.endpoint.refresh.ms: how long fetched keys are used before they are fetched again. */
  jwksRefreshMs: 3_600_000,
  /** A token naming an unknown key refetches the JWKS at most this often (a flood of bad tokens does not become a flood of fetches). */
  jwksCooldownMs: 10_000,
} as const;

export interface OAuthBearerClientResponse {
  /** The authorization id (a=...), '' when none. */
  readonly authzid: string;
  readonly token: string;
  /** SASL extensions (key=value pairs other than auth); accepted and not used, as Kafka's default validator does. */
  readonly extensions: ReadonlyMap<string, string>;
}

// Kafka's OAuthBearerClientInitialResponse grammar (RFC 7628 §3.1 with Kafka's token characters).
const SASLNAME = '(?:[\\x01-\\x2B\\x2D-\\x3C\\x3E-\\x7F]|=2C|=3D)+';
const KVPAIR_RE = /^([A-Za-z]+)=([\x21-\x7E \t\r\n]+)$/;
const CLIENT_FIRST_RE = new RegExp(`^n,(?:a=(${SASLNAME}))?,\\x01((?:[A-Za-z]+=[\\x21-\\x7E \\t\\r\\n]+\\x01)*)\\x01$`);
const AUTH_RE = /^(\w+) +([-_.a-zA-Z0-9]+)$/;

/** Parses the client's initial response, or says why it is malformed (for the log; the client gets Kafka's generic message). */
export function parseOAuthBearerResponse(message: Buffer): OAuthBearerClientResponse | { readonly error: string } {
  const text = message.toString('utf8');
  const m = CLIENT_FIRST_RE.exec(text);
  if (m === null) return { error: 'Invalid OAUTHBEARER client first message' };
  const extensions = new Map<string, string>();
  let auth: string | undefined;
  for (const pair of (m[2] ?? '').split('\u0001')) {
    if (pair === '') continue;
    const kv = KVPAIR_RE.exec(pair);
    if (kv === null) return { error: 'Invalid OAUTHBEARER client first message' };
    if (kv[1] === 'auth') auth = kv[2];
    else extensions.set(kv[1]!, kv[2]!);
  }
  if (auth === undefined) return { error: "Invalid OAUTHBEARER client first message: 'auth' not specified" };
  const a = AUTH_RE.exec(auth);
  if (a === null) return { error: "Invalid OAUTHBEARER client first message: invalid 'auth' format" };
  if (a[1]!.toLowerCase() !== 'bearer') return { error: 'Invalid scheme in OAUTHBEARER client first message' };
  return { authzid: m[1] ?? '', token: a[2]!, extensions };
}

export type JwksSource = { readonly file: string } | { readonly url: string };

export interface OAuthBearerValidatorOptions {
  readonly jwks: JwksSource;
  /** Expected `iss`. */
  readonly issuer: string;
  /** Expected `aud`: the token must name one of these. */
  readonly audience: readonly string[];
  readonly subClaim?: string;
  readonly scopeClaim?: string;
  readonly clockSkewMs?: number;
  readonly algorithms?: readonly OAuthBearerAlgorithm[];
  readonly jwksTimeoutMs?: number;
  readonly jwksRefreshMs?: number;
  readonly jwksCooldownMs?: number;
  /** Wall-clock milliseconds (token times are wall-clock); Date.now by default. */
  readonly nowMs?: () => number;
  /** A JWKS URL that did not answer a refresh (the keys it gave last stay in use): for the log. */
  readonly onJwksError?: (reason: string) => void;
}

export type OAuthBearerValidation =
  | { readonly ok: true; readonly principal: string; readonly scopes: readonly string[]; /** exp, in wall-clock ms. */ readonly expiresAtMs: number }
  | { readonly ok: false; /** Why, for the log: never the token or a claim's value. */ readonly reason: string };

/** A JWKS file, parsed again when its size, modification time or inode change. */
class JwksFile {
  private readonly path: string;
  private stamp = '';
  private keys: JWTVerifyGetKey;

  constructor(path: string) {
    this.path = path;
    // Read at start: a missing or malformed file is a configuration error the process reports then.
    this.keys = this.load(true)!;
  }

  /** The current key set; a file that changed but no longer parses leaves the previous keys in use. */
  current(): JWTVerifyGetKey {
    this.load(false);
    return this.keys;
  }

  private load(first: boolean): JWTVerifyGetKey | undefined {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e) {
      if (first) throw new RangeError(`sasl.oauthbearer.jwksFile ${this.path}: ${(e as Error).message}`);
      return undefined;
    }
    if (stamp === this.stamp) return this.keys;
    try {
      const jwks = JSON.parse(readFileSync(this.path, 'utf8')) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) throw new Error('not a JWKS (no "keys" array)');
      this.keys = createLocalJWKSet(jwks);
      this.stamp = stamp;
      return this.keys;
    } catch (e) {
      if (first) throw new RangeError(`sasl.oauthbearer.jwksFile ${this.path}: ${(e as Error).message}`);
      return undefined; // half-written: the next authentication looks again
    }
  }
}

/**
 * A JWKS URL through jose's remote key set (cached for jwksRefresh, fetched again for an
 * unknown kid at most once per cooldown), kept working through an outage of the provider:
 * when a refresh fails, the keys it gave last go on verifying tokens, and the URL is asked
 * again only after the cooldown — as Kafka's RefreshingHttpsJwks keeps its keys when a
 * refresh fails — instead of every authentication waiting out jwksTimeout.
 */
class JwksUrl {
  private readonly remote: RemoteJWKSet;
  private readonly cooldownMs: number;
  private readonly onError: ((reason: string) => void) | undefined;
  private stale: { keys: JWTVerifyGetKey; untilMs: number } | undefined;

  constructor(url: URL, o: OAuthBearerValidatorOptions) {
    this.cooldownMs = o.jwksCooldownMs ?? OAUTHBEARER_DEFAULTS.jwksCooldownMs;
    this.onError = o.onJwksError;
    this.remote = createRemoteJWKSet(url, {
      timeoutDuration: o.jwksTimeoutMs ?? OAUTHBEARER_DEFAULTS.jwksTimeoutMs,
      cacheMaxAge: o.jwksRefreshMs ?? OAUTHBEARER_DEFAULTS.jwksRefreshMs,
      cooldownDuration: this.cooldownMs,
    });
  }

  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const stale = this.stale;
    if (stale !== undefined && Date.now() < stale.untilMs) return stale.keys(header, token);
    this.stale = undefined;
    try {
      return await this.remote(header, token);
    } catch (e) {
      const last = this.remote.jwks();
      // A key-selection answer (no key with that kid, or several) is the keys' verdict, not the URL's failure.
      const code = (e as { code?: unknown }).code;
      if (last === undefined || code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw e;
      this.onError?.(describe(e));
      const keys = createLocalJWKSet(last);
      this.stale = { keys, untilMs: Date.now() + this.cooldownMs };
      return keys(header, token);
    }
  };
}

/** Verifies bearer tokens; one per broker. */
export class OAuthBearerValidator {
  private readonly o: OAuthBearerValidatorOptions;
  private readonly keys: () => JWTVerifyGetKey;

  constructor(o: OAuthBearerValidatorOptions) {
    this.o = o;
    if (o.audience.length === 0) throw new RangeError('OAUTHBEARER needs an expected audience');
    if ((o.algorithms ?? OAUTHBEARER_ALGORITHMS).length === 0) throw new RangeError('OAUTHBEARER needs at least one allowed algorithm');
    if ('file' in o.jwks) {
      const file = new JwksFile(o.jwks.file);
      this.keys = () => file.current();
    } else {
      const remote = new JwksUrl(checkJwksUrl(o.jwks.url), o);
      this.keys = () => remote.getKey;
    }
  }

  async validate(token: string): Promise<OAuthBearerValidation> {
    const now = (this.o.nowMs ?? Date.now)();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys(), {
        issuer: this.o.issuer,
        audience: [...this.o.audience],
        algorithms: [...(this.o.algorithms ?? OAUTHBEARER_ALGORITHMS)],
        clockTolerance: Math.floor((this.o.clockSkewMs ?? OAUTHBEARER_DEFAULTS.clockSkewMs) / 1000),
        requiredClaims: ['exp', 'iat'],
        currentDate: new Date(now),
      }));
    } catch (e) {
      return { ok: false, reason: describe(e) };
    }
    const subClaim = this.o.subClaim ?? OAUTHBEARER_DEFAULTS.subClaim;
    const sub = payload[subClaim];
    const principal = typeof sub === 'string' ? sub.trim() : '';
    if (principal === '') return { ok: false, reason: `the "${subClaim}" claim (the principal) is missing or empty` };
    const scope = payload[this.o.scopeClaim ?? OAUTHBEARER_DEFAULTS.scopeClaim];
    const scopes = typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : Array.isArray(scope) ? scope.filter((s): s is string => typeof s === 'string') : [];
    return { ok: true, principal, scopes, expiresAtMs: payload.exp! * 1000 };
  }
}

/** HTTPS, or HTTP to a loopback address only: keys fetched in clear could be replaced on the way, and with them every token. */
function checkJwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError('sasl.oauthbearer.jwksUrl is not a URL');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new RangeError(`sasl.oauthbearer.jwksUrl must be https:// (http:// only to a loopback address), not ${url.protocol}//${url.host}`);
}

/** A verification failure in words for the log: jose's code and message name the check, never a value. */
function describe(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
