// The SASL fuzzer's case builder: the steps of a case (a frame, and what Kafka answers to
// it — an error code and message, or the close), a Script that writes them (SASL requests,
// whole logins, SCRAM exchanges computed from the server-first the broker sent), Kafka's
// messages, and raw frames for versions no codec knows. The families (sasl-cases.ts) are
// written with it.

import { ApiKey, encodeRequest, ErrorCode } from '@stratus/protocol';
import type { Rng } from './rng.ts';
import { clientFinal, parseServerFirst, saslName } from './sasl-scram.ts';
import type { ScramHash } from './sasl-scram.ts';

/** How a case's connections reach the broker. */
export type Transport = 'clear' | 'tls' | 'tcp-to-secure';

export interface SaslTarget {
  readonly mechanisms: readonly string[];
  readonly users: { readonly admin: { readonly name: string; readonly password: string }; readonly bob: { readonly name: string; readonly password: string } };
  /** connections.max.reauth.ms: what a successful SaslAuthenticate v1+ says in session_lifetime_ms. */
  readonly sessionLifetimeMs: number;
  /** A real TLS ClientHello (captured from node:tls). */
  readonly clientHello: Buffer;
}

/** What the case has learned so far, per connection: the server-first of its SCRAM exchange. */
export interface Exchange {
  readonly serverFirst: (string | undefined)[];
  /** client-final messages that succeeded, for replays. */
  readonly finals: string[];
}

export interface AnswerExpect {
  readonly kind: 'answer';
  readonly apiKey: number;
  readonly version: number;
  /** The error codes Kafka may answer with (the top-level errorCode). */
  readonly codes: readonly number[];
  /** The error message it must carry, when Kafka's is known. */
  readonly message?: string | RegExp;
  /** The broker may close instead (a documented difference, or an unsupported version). */
  readonly orClose?: boolean;
  /** A further check of the decoded body: a problem, or undefined. */
  readonly check?: (body: Record<string, unknown>, x: Exchange) => string | undefined;
  /** Remember something of the answer (the server-first). */
  readonly keep?: (body: Record<string, unknown>, x: Exchange) => void;
  /** Counted as a successful authentication of this kind (non-vacuity of the run). */
  readonly success?: string;
}

export type Expect =
  | AnswerExpect
  /** No answer: the broker closes the connection (a TLS alert before it is allowed on the SASL_SSL port). */
  | { readonly kind: 'close' }
  /** An answer (decodable, no secret in it) or the close; the case ends there either way. */
  | { readonly kind: 'any' }
  /** Nothing is read: the connection is reset right after (a client that gives up mid-exchange). */
  | { readonly kind: 'reset' };

export interface SaslStep {
  readonly label: string;
  /** Which of the case's connections (0 or 1). */
  readonly conn: 0 | 1;
  /** The bytes to write; undefined skips the rest of the case (a server-first that did not come). */
  readonly bytes: (x: Exchange) => Buffer | undefined;
  readonly expect: Expect;
  /** Written together with the next step, before this one's answer is read. */
  readonly pipelined?: boolean;
  /** Written to the TCP socket under TLS, bypassing it. */
  readonly underTls?: boolean;
  /** Our FIN after the bytes. */
  readonly thenEnd?: boolean;
}

export const CLIENT_ID = 'stratus-sasl-fuzz';
const { NONE, SASL_AUTHENTICATION_FAILED: FAILED } = ErrorCode;

/** Kafka's messages (PlainSaslServer, ScramSaslServer, SaslServerAuthenticator). */
export const KAFKA_MESSAGES = {
  plainInvalid: 'Authentication failed: Invalid username or password',
  plainNoUser: 'Authentication failed: username not specified',
  plainNoPassword: 'Authentication failed: password not specified',
  plainAuthzid: 'Authentication failed: Client requested an authorization id that is different from username',
  plainTokens: (n: number): string => `Invalid SASL/PLAIN response: expected 3 tokens, got ${n}`,
  scramInvalid: (mechanism: string): string => `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
  reauthPrincipal: (from: string, to: string): string => `Cannot change principals during re-authentication from ${from}: ${to}`,
  afterSuccess: 'SaslAuthenticate request received after successful authentication',
} as const;

/** Any message PLAIN may fail with. */
export const ANY_PLAIN_FAILURE = /^(Authentication failed: (Invalid username or password|username not specified|password not specified|Client requested an authorization id that is different from username)|Invalid SASL\/PLAIN response: expected 3 tokens, got \d+)$/;

export const MECHANISM_HASH: Readonly<Record<string, ScramHash>> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

/** Builds one case's steps; `corr` numbers its requests. */
export class Script {
  readonly steps: SaslStep[] = [];
  private corr: number;
  readonly r: Rng;
  readonly t: SaslTarget;

  constructor(r: Rng, t: SaslTarget) {
    this.r = r;
    this.t = t;
    this.corr = r.int(1, 1_000_000);
  }

  nextCorr(): number {
    return this.corr++;
  }

  add(step: Omit<SaslStep, 'conn'> & { conn?: 0 | 1 }): this {
    this.steps.push({ conn: 0, ...step });
    return this;
  }

  /** A request frame for the codec's own versions. */
  frame(apiKey: number, version: number, body: unknown): Buffer {
    return encodeRequest(apiKey as never, version, this.nextCorr(), CLIENT_ID, body as never);
  }

  // --- the SASL requests -------------------------------------------------------------

  handshake(mechanism: string, expect: Expect, extra: Partial<SaslStep> = {}): this {
    const frame = this.frame(ApiKey.SaslHandshake, 1, { mechanism });
    return this.add({ label: `SaslHandshake ${show(mechanism)}`, bytes: () => frame, expect, ...extra });
  }

  /** SaslHandshake v1 for an enabled mechanism: answered with the enabled list. */
  handshakeOk(mechanism: string, extra: Partial<SaslStep> = {}): this {
    return this.handshake(mechanism, { kind: 'answer', apiKey: ApiKey.SaslHandshake, version: 1, codes: [NONE], check: (b) => this.mechanismsCheck(b) }, extra);
  }

  mechanismsCheck(b: Record<string, unknown>): string | undefined {
    const got = JSON.stringify(b['mechanisms']);
    return got === JSON.stringify(this.t.mechanisms) ? undefined : `mechanisms ${got}, enabled ${JSON.stringify(this.t.mechanisms)}`;
  }

  authVersion(): number {
    return this.r.int(0, 2);
  }

  authenticate(label: string, bytes: Buffer | ((x: Exchange) => Buffer | undefined), expect: (version: number) => Expect, extra: Partial<SaslStep> = {}): this {
    const version = this.authVersion();
    const corr = this.nextCorr();
    const make = typeof bytes === 'function' ? bytes : () => bytes;
    return this.add({
      label,
      bytes: (x) => {
        const b = make(x);
        return b === undefined ? undefined : encodeRequest(ApiKey.SaslAuthenticate, version, corr, CLIENT_ID, { authBytes: b });
      },
      expect: expect(version),
      ...extra,
    });
  }

  /** SaslAuthenticate that must fail with `message` (exact, or any PLAIN failure). */
  authFails(label: string, bytes: Buffer | ((x: Exchange) => Buffer | undefined), message: string | RegExp, extra: Partial<SaslStep> = {}): this {
    return this.authenticate(label, bytes, (version) => failed(version, message), extra);
  }

  /** SaslAuthenticate that must succeed; `serverFinal` is the v=... a SCRAM final must get back. */
  authSucceeds(label: string, bytes: Buffer | ((x: Exchange) => Buffer | undefined), success: string, serverFinal?: (x: Exchange) => string | undefined, extra: Partial<SaslStep> = {}): this {
    return this.authenticate(
      label,
      bytes,
      (version) => ({
        kind: 'answer',
        apiKey: ApiKey.SaslAuthenticate,
        version,
        codes: [NONE],
        message: '',
        success,
        check: (b, x) => {
          if (version >= 1 && Number(b['sessionLifetimeMs']) !== this.t.sessionLifetimeMs) return `session_lifetime_ms ${String(b['sessionLifetimeMs'])}, not ${this.t.sessionLifetimeMs}`;
          const want = serverFinal?.(x) ?? '';
          const got = Buffer.from(b['authBytes'] as Buffer).toString('utf8');
          return got === want ? undefined : `auth bytes ${show(got)}, expected ${show(want)}`;
        },
      }),
      extra,
    );
  }

  /** Any request after a failure, an unknown mechanism, or out of turn: the connection closes unanswered. */
  thenClosed(conn: 0 | 1 = 0): this {
    const [label, bytes] = this.anyRequest();
    return this.add({ label: `${label} (after it)`, conn, bytes: () => bytes, expect: { kind: 'close' } });
  }

  /** A request that is not SaslAuthenticate right after a handshake: the connection closes unanswered. */
  outOfTurn(): this {
    let [label, bytes] = this.anyRequest();
    while (label === 'SaslAuthenticate') [label, bytes] = this.anyRequest();
    return this.add({ label: `${label} out of turn`, bytes: () => bytes, expect: { kind: 'close' } });
  }

  /** A request of a random kind with a valid frame (what a client sends next). */
  anyRequest(): [string, Buffer] {
    switch (this.r.int(0, 4)) {
      case 0:
        return ['Metadata', this.frame(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })];
      case 1:
        return ['ApiVersions', this.frame(ApiKey.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' })];
      case 2:
        return ['SaslHandshake', this.frame(ApiKey.SaslHandshake, 1, { mechanism: 'PLAIN' })];
      case 3:
        return ['SaslAuthenticate', this.frame(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from(`\u0000${this.t.users.admin.name}\u0000${this.t.users.admin.password}`) })];
      default:
        return ['Heartbeat', this.frame(ApiKey.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null })];
    }
  }

  /** Metadata on an authenticated connection: served. */
  metadataServed(conn: 0 | 1 = 0): this {
    const v = this.r.pick([1, 4, 9, 12]);
    const body = v >= 4 ? { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false } : { topics: [] };
    const f = this.frame(ApiKey.Metadata, v, body);
    return this.add({ label: `Metadata v${v} (authenticated)`, conn, bytes: () => f, expect: { kind: 'answer', apiKey: ApiKey.Metadata, version: v, codes: [NONE] } });
  }

  // --- whole logins --------------------------------------------------------------------

  /** An honest login of `user` with a random mechanism (or `mechanism`); returns the mechanism. */
  login(user: { name: string; password: string }, mechanism = this.loginMechanism(), conn: 0 | 1 = 0): string {
    this.handshakeOk(mechanism, { conn });
    if (mechanism === 'PLAIN') {
      this.authSucceeds('PLAIN honest', Buffer.from(`${this.r.bool() ? user.name : ''}\u0000${user.name}\u0000${user.password}`), 'PLAIN', undefined, { conn });
      return mechanism;
    }
    const first = this.scramFirst(user.name);
    this.authenticate(`${mechanism} client-first`, Buffer.from(first.message), (v) => this.serverFirstExpect(v, first.nonce, conn), { conn });
    let serverFinal: string | undefined;
    this.authSucceeds(
      `${mechanism} client-final honest`,
      (x) => {
        const f = clientFinal({ hash: MECHANISM_HASH[mechanism]!, password: user.password, bare: first.bare, gs2: first.gs2, serverFirst: x.serverFirst[conn] ?? '' });
        serverFinal = f?.serverFinal;
        if (f !== undefined) x.finals.push(f.message);
        return f && Buffer.from(f.message);
      },
      mechanism,
      () => serverFinal,
      { conn },
    );
    return mechanism;
  }

  /** PLAIN costs the broker a PBKDF2 per login, SCRAM nothing: most logins are SCRAM's. */
  loginMechanism(): string {
    return this.r.weighted(this.t.mechanisms.map((m) => [m, m === 'PLAIN' ? 1 : 2] as const));
  }

  /** An honest client-first for `user`. */
  scramFirst(user: string, gs2 = this.r.pick(['n,,', 'y,,', `n,a=${saslName(user)},`])): { message: string; bare: string; gs2: string; nonce: string } {
    const nonce = this.nonce();
    const bare = `n=${saslName(user)},r=${nonce}`;
    return { message: `${gs2}${bare}`, bare, gs2, nonce };
  }

  nonce(): string {
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_!~';
    return Array.from({ length: this.r.int(8, 48) }, () => this.r.pick([...chars])).join('');
  }

  /** A server-first for the client nonce: kept for the client-final. */
  serverFirstExpect(version: number, clientNonce: string, conn: 0 | 1): AnswerExpect {
    return {
      kind: 'answer',
      apiKey: ApiKey.SaslAuthenticate,
      version,
      codes: [NONE],
      message: '',
      check: (b) => {
        const text = Buffer.from(b['authBytes'] as Buffer).toString('utf8');
        const sf = parseServerFirst(text);
        if (sf === undefined) return `not a server-first: ${show(text)}`;
        if (!sf.nonce.startsWith(clientNonce) || sf.nonce.length < clientNonce.length + 16) return 'the server nonce does not extend the client nonce with enough of its own';
        if (sf.iterations < 4096) return `${sf.iterations} iterations`;
        if (version >= 1 && Number(b['sessionLifetimeMs']) !== 0) return 'a session lifetime before the end of the exchange';
        return undefined;
      },
      keep: (b, x) => {
        x.serverFirst[conn] = Buffer.from(b['authBytes'] as Buffer).toString('utf8');
      },
    };
  }
}

export function failed(version: number, message: string | RegExp): AnswerExpect {
  return {
    kind: 'answer',
    apiKey: ApiKey.SaslAuthenticate,
    version,
    codes: [FAILED],
    message,
    check: (b) => {
      if (Buffer.from(b['authBytes'] as Buffer).length !== 0) return 'auth bytes in a failure';
      if (version >= 1 && Number(b['sessionLifetimeMs']) !== 0) return 'a session lifetime in a failure';
      return undefined;
    },
  };
}

/** A short, printable rendering of attacker-controlled text for labels. */
export function show(s: string): string {
  const cut = s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s;
  return JSON.stringify(cut);
}

/** A request frame for any API and version, with a classic (v1) header and the given body: for versions no codec knows. */
export function rawRequest(apiKey: number, version: number, corr: number, body: Buffer, taggedHeader = false): Buffer {
  const client = Buffer.from(CLIENT_ID);
  const header = Buffer.alloc(10 + client.length + (taggedHeader ? 1 : 0));
  header.writeInt16BE(apiKey, 0);
  header.writeInt16BE(version, 2);
  header.writeInt32BE(corr, 4);
  header.writeInt16BE(client.length, 8);
  client.copy(header, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(header.length + body.length);
  return Buffer.concat([size, header, body]);
}

/** A string as Kafka's non-flexible STRING (int16 length). */
export function kafkaString(bytes: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeInt16BE(Math.min(bytes.length, 0x7fff));
  return Buffer.concat([len, bytes.subarray(0, 0x7fff)]);
}

/** Random bytes whose request header (if they frame one) is not ApiVersions or a SASL API, which the broker would answer. */
export function garbage(r: Rng, n: number): Buffer {
  const b = r.bytes(n);
  if (b.length >= 6 && [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate].includes(b.readInt16BE(4) as never)) b[4] = 0x7f;
  return b;
}

/**
 * A password with one change: a character replaced, added or removed, or its case
 * changed. Few distinct ones per password, so the test's own SCRAM proofs for them are
 * cached (a PBKDF2 each).
 */
export function mutate(r: Rng, password: string): string {
  const at = r.pick([0, password.length >> 1, password.length - 1]);
  switch (r.int(0, 3)) {
    case 0:
      return `${password.slice(0, at)}${password[at] === 'z' ? 'y' : 'z'}${password.slice(at + 1)}`;
    case 1:
      return `${password}${r.pick(['x', ' ', '\t', '0'])}`;
    case 2:
      return password.slice(0, -1);
    default:
      return password.toUpperCase() === password ? password.toLowerCase() : password.toUpperCase();
  }
}

export function randomProof(r: Rng, hash: ScramHash): string {
  return r.bytes(hash === 'sha256' ? 32 : 64).toString('base64');
}
