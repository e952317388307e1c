// The broker's SASL server: which connections must authenticate, what each may send
// before it has, and the SaslHandshake / SaslAuthenticate exchanges (v1 handshake; every
// token in a SaslAuthenticate request, as Java clients, librdkafka and kafkajs send them).
// One instance per broker; each connection's progress is kept beside its
// ConnectionSession. As Kafka's SaslServerAuthenticator:
//  - before authentication only ApiVersions (before the handshake), SaslHandshake and
//    SaslAuthenticate (after it) are served; anything else closes the connection, as
//    Kafka's IllegalSaslStateException does;
//  - a failed authentication is answered SASL_AUTHENTICATION_FAILED after a delay
//    (connection.failed.authentication.delay.ms) and the connection is closed at its next
//    request (the client closes it first);
//  - KIP-368: with a maximum session lifetime (connections.max.reauth.ms) the client is
//    told it in session_lifetime_ms, may re-authenticate (a new SaslHandshake on the
//    authenticated connection, as the same principal and mechanism), and a connection
//    whose session has expired is closed at its next request other than re-authentication.
//    A bearer token's expiry bounds the session too (the smaller of the two; Kafka's
//    SaslServerAuthenticator does the same with the credential's lifetime).

import { createHmac, randomBytes } from 'node:crypto';
import { ApiKey, apiSpec, ErrorCode } from '@stratus/protocol';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '@stratus/protocol';
import type { ConnectionSession, KafkaPrincipal } from '../principal.ts';
import { principalString } from '../principal.ts';
import type { CredentialStore } from './credential-store.ts';
import { addressOf, FailureLimiter } from './failure-limiter.ts';
import type { FailureLimiterOptions } from './failure-limiter.ts';
import { MESSAGES, OAUTHBEARER, PLAIN, SASL_MAX_RECEIVE_BYTES, SCRAM_HASH, SCRAM_MIN_ITERATIONS, SCRAM_SALT_BYTES, SCRAM_SHA_256, SCRAM_SHA_512 } from './mechanisms.ts';
import type { SaslMechanism, ScramHash, ScramMechanism } from './mechanisms.ts';
import { OAUTHBEARER_INVALID_TOKEN, parseOAuthBearerResponse } from './oauthbearer.ts';
import type { OAuthBearerValidator } from './oauthbearer.ts';
import { parsePlain } from './plain.ts';
import { parseClientFirst, passwordMatches, ScramError, ScramServerExchange } from './scram.ts';
import type { ScramCredential } from './scram.ts';

/** Kafka's minimum time between two re-authentications of one connection (KafkaChannel). */
export const MIN_REAUTH_INTERVAL_MS = 1000;

export interface SaslAuthenticatorOptions {
  /** Enabled mechanisms, in the order clients are told them. */
  readonly mechanisms: readonly SaslMechanism[];
  readonly credentials: CredentialStore;
  /** Verifies OAUTHBEARER tokens; required when OAUTHBEARER is enabled. */
  readonly oauthbearer?: OAuthBearerValidator;
  /** Wall-clock milliseconds, for a token's remaining lifetime (Date.now by default). */
  readonly wallMs?: () => number;
  /**
   * Listeners whose connections must authenticate, by name — for as long as listeners have
   * no security protocol of their own; a session whose securityProtocol is SASL_PLAINTEXT
   * or SASL_SSL must authenticate whatever its listener's name.
   */
  readonly listeners?: readonly string[];
  /** connections.max.reauth.ms: the longest session; 0: sessions do not expire (no re-authentication). */
  readonly maxReauthMs: number;
  /** connection.failed.authentication.delay.ms: how long a failure's answer is held back. */
  readonly failedAuthenticationDelayMs: number;
  readonly failures: FailureLimiterOptions;
  /** sasl.server.max.receive.size: the largest frame before authentication (receive-limit.ts); absent: Kafka's 512 KiB. */
  readonly maxReceiveBytes?: number;
  /** Iterations of the stand-in credential an unknown user is answered with (as many as real ones, so timing does not tell). */
  readonly iterations: number;
  /** Monotonic milliseconds. */
  readonly nowMs: () => number;
  /** The server's nonce part (tests: RFC vectors); crypto randomness otherwise. */
  readonly serverNonce?: () => string;
  /** Each success and failure, for logs (no secrets: never a password, a proof or a token). */
  readonly onEvent?: (event: SaslEvent) => void;
}

export type SaslEvent =
  | { readonly kind: 'authenticated'; readonly mechanism: string; readonly principal: string; readonly remoteAddress: string; readonly reauthentication: boolean }
  | { readonly kind: 'failed'; readonly mechanism: string; readonly remoteAddress: string; readonly reason: string; readonly reauthentication: boolean };

/** The connection as the authenticator sees it (the dispatcher's ConnectionInfo and RequestContext both fit). */
export interface SaslConnection {
  readonly listenerName: string;
  readonly remoteAddress: string;
  readonly session?: ConnectionSession | undefined;
}

type Phase = 'handshake' | 'authenticate' | 'done' | 'failed';

interface SaslState {
  phase: Phase;
  /** The mechanism of the exchange under way. */
  mechanism: SaslMechanism | undefined;
  scram: { exchange: ScramServerExchange; known: boolean } | undefined;
  /** OAUTHBEARER: the token was refused and the error challenge sent; the exchange fails at the client's next message. */
  oauthRefused: true | undefined;
  /** Set by the first success; a later exchange is a re-authentication. */
  authenticated: KafkaPrincipal | undefined;
  expiresAtMs: number | undefined;
  lastReauthStartMs: number | undefined;
}

type HandshakeAnswer = Omit<SaslHandshakeResponse, never>;
type AuthenticateAnswer = Omit<SaslAuthenticateResponse, 'unknownTaggedFields'>;

export class SaslAuthenticator {
  private readonly states = new WeakMap<ConnectionSession, SaslState>();
  private readonly listeners: ReadonlySet<string>;
  private readonly limiter: FailureLimiter;
  /** Keys the stand-in salts of unknown users: stable per user within a process, unguessable. */
  private readonly fakeSaltKey = randomBytes(32);

  private readonly o: SaslAuthenticatorOptions;

  constructor(o: SaslAuthenticatorOptions) {
    this.o = o;
    if (o.mechanisms.length === 0) throw new RangeError('SASL needs at least one enabled mechanism');
    if (o.mechanisms.includes(OAUTHBEARER) && o.oauthbearer === undefined) throw new RangeError('OAUTHBEARER is enabled without a token validator (sasl.oauthbearer)');
    this.listeners = new Set(o.listeners ?? []);
    this.limiter = new FailureLimiter(o.failures);
  }

  get mechanisms(): readonly SaslMechanism[] {
    return this.o.mechanisms;
  }

  /** Whether the connection's requests wait for SASL authentication. */
  /** The largest frame a connection may send before it authenticates (sasl.server.max.receive.size). */
  get maxReceiveBytes(): number {
    return this.o.maxReceiveBytes ?? SASL_MAX_RECEIVE_BYTES;
  }

  requires(conn: SaslConnection): boolean {
    const protocol = conn.session?.securityProtocol;
    return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL' || this.listeners.has(conn.listenerName);
  }

  /**
   * Called for every request before it is decoded: undefined serves it, a string closes
   * the connection with that reason (Kafka's IllegalSaslStateException, an expired session).
   */
  gate(apiKey: number, conn: SaslConnection): string | undefined {
    if (conn.session === undefined || !this.requires(conn)) return undefined;
    const s = this.state(conn.session);
    if (s.phase === 'failed') return 'SASL authentication failed';
    const name = apiSpec(apiKey)?.name ?? `API ${apiKey}`;
    if (s.authenticated === undefined) {
      if (s.phase === 'handshake' && (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake)) return undefined;
      if (s.phase === 'authenticate' && apiKey === ApiKey.SaslAuthenticate) return undefined;
      return `illegal SASL state: ${name} request ${s.phase === 'handshake' ? 'before a SaslHandshake' : 'during SASL authentication'}`;
    }
    if (apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate) return undefined;
    if (s.expiresAtMs !== undefined && this.o.nowMs() >= s.expiresAtMs) return `SASL session of ${principalString(s.authenticated)} expired without re-authentication (connections.max.reauth.ms)`;
    return undefined;
  }

  handshake(mechanism: string, conn: SaslConnection): HandshakeAnswer {
    if (conn.session === undefined || !this.requires(conn)) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    const s = this.state(conn.session);
    const enabled = [...this.o.mechanisms];
    if (s.authenticated !== undefined) {
      // KIP-368: a handshake on an authenticated connection starts a re-authentication,
      // when sessions expire and not more often than once a second (Kafka's rule).
      const now = this.o.nowMs();
      const may = s.phase === 'done' && s.expiresAtMs !== undefined && (s.lastReauthStartMs === undefined || now - s.lastReauthStartMs >= MIN_REAUTH_INTERVAL_MS);
      if (!may) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
      if (mechanism !== conn.session.saslMechanism) {
        this.fail(s, conn, mechanism, MESSAGES.reauthMechanismChanged(conn.session.saslMechanism ?? '', mechanism));
        return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
      }
      s.lastReauthStartMs = now;
    } else if (s.phase !== 'handshake') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    }
    if (!(enabled as string[]).includes(mechanism)) {
      // Kafka answers with the enabled list, then closes the connection.
      this.fail(s, conn, mechanism, `mechanism ${JSON.stringify(mechanism.slice(0, 40))} is not enabled`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
    }
    s.phase = 'authenticate';
    s.mechanism = mechanism as SaslMechanism;
    s.scram = undefined;
    s.oauthRefused = undefined;
    return { errorCode: ErrorCode.NONE, mechanisms: enabled };
  }

  /** Ends the connection's exchange without answering it here (a request the handler refuses): it closes at its next request. */
  refuse(conn: SaslConnection, reason: string): void {
    if (conn.session === undefined || !this.requires(conn)) return;
    const s = this.state(conn.session);
    this.fail(s, conn, s.mechanism ?? '', reason);
  }

  async authenticate(authBytes: Buffer, conn: SaslConnection, signal?: AbortSignal): Promise<AuthenticateAnswer> {
    if (conn.session === undefined || !this.requires(conn)) return illegal(MESSAGES.afterSuccess);
    const session = conn.session;
    const s = this.state(session);
    if (s.phase !== 'authenticate' || s.mechanism === undefined) return illegal(s.authenticated !== undefined ? MESSAGES.afterSuccess : MESSAGES.unexpectedAuthenticate);
    const mechanism = s.mechanism;
    // The answer to an OAUTHBEARER error challenge: its failure is counted already.
    if (s.oauthRefused !== undefined) return this.failed(s, conn, mechanism, OAUTHBEARER_INVALID_TOKEN, undefined, signal);
    if (!this.limiter.allows(addressOf(conn.remoteAddress), this.o.nowMs())) return this.failed(s, conn, mechanism, MESSAGES.tooManyFailures, 'too many failures from this address', signal);
    if (mechanism === PLAIN) {
      const parsed = parsePlain(authBytes);
      if ('error' in parsed) return this.failed(s, conn, mechanism, parsed.error, parsed.error, signal);
      const found = await this.plainCredential(parsed.user);
      // An unknown user costs the same PBKDF2 as a wrong password: timing does not tell which.
      const ok = await passwordMatches(found?.hash ?? 'sha512', found?.credential ?? this.standIn(parsed.user, SCRAM_SHA_512), parsed.password);
      if (!ok || found === undefined) return this.failed(s, conn, mechanism, MESSAGES.plainInvalid, found === undefined ? 'unknown user' : 'wrong password', signal);
      return this.succeeded(s, conn, mechanism, parsed.user, Buffer.alloc(0));
    }
    if (mechanism === OAUTHBEARER) return this.oauthBearer(authBytes, s, conn, signal);
    const scramMechanism: ScramMechanism = mechanism;
    const invalid = MESSAGES.scramInvalid(mechanism);
    if (s.scram === undefined) {
      let exchange: ScramServerExchange;
      let known: boolean;
      try {
        const first = parseClientFirst(authBytes.toString('utf8'));
        const stored = await this.o.credentials.scramCredential(first.user, scramMechanism);
        if (stored !== undefined && stored.iterations < SCRAM_MIN_ITERATIONS) return this.failed(s, conn, mechanism, invalid, `stored credential has ${stored.iterations} iterations, under ${SCRAM_MIN_ITERATIONS}`, signal);
        known = stored !== undefined;
        // An unknown user gets a stand-in salt and fails at the proof, as a wrong password does (RFC 5802 §9).
        exchange = new ScramServerExchange(first, stored ?? this.standIn(first.user, scramMechanism), { hash: SCRAM_HASH[scramMechanism], ...(this.o.serverNonce ? { serverNonce: this.o.serverNonce } : {}) });
      } catch (e) {
        if (e instanceof ScramError) return this.failed(s, conn, mechanism, invalid, e.message, signal);
        throw e;
      }
      s.scram = { exchange, known };
      // Kafka writes an empty message, not null, when there is no error (test/security/sasl-vs-kafka.test.ts).
      return { errorCode: ErrorCode.NONE, errorMessage: '', authBytes: Buffer.from(exchange.serverFirst), sessionLifetimeMs: 0 };
    }
    const { exchange, known } = s.scram;
    let serverFinal: string;
    try {
      serverFinal = exchange.finish(authBytes.toString('utf8'));
    } catch (e) {
      if (e instanceof ScramError) return this.failed(s, conn, mechanism, invalid, known ? e.message : 'unknown user', signal);
      throw e;
    }
    if (!known) return this.failed(s, conn, mechanism, invalid, 'unknown user', signal);
    return this.succeeded(s, conn, mechanism, exchange.client.user, Buffer.from(serverFinal));
  }

  /**
   * OAUTHBEARER, as Kafka's OAuthBearerSaslServer: a refused token is answered with the
   * error challenge {"status":"invalid_token"} (no error code), the client acknowledges it
   * with %x01 (RFC 7628 §3.2.3), and that is answered SASL_AUTHENTICATION_FAILED with the
   * same JSON as the message (authenticate() above). Kafka parses anything but %x01 as a new
   * first message, another token on the same exchange; here the exchange ends either way.
   * The failure is counted and logged when the challenge goes out: a client that hangs up
   * then, and tries the next token on a new connection, is limited all the same.
   * A malformed message fails at once with Kafka's generic message.
   */
  private async oauthBearer(authBytes: Buffer, s: SaslState, conn: SaslConnection, signal: AbortSignal | undefined): Promise<AuthenticateAnswer> {
    const parsed = parseOAuthBearerResponse(authBytes);
    if ('error' in parsed) return this.failed(s, conn, OAUTHBEARER, MESSAGES.scramInvalid(OAUTHBEARER), parsed.error, signal);
    const result = await this.o.oauthbearer!.validate(parsed.token);
    if (!result.ok) {
      this.record(s, conn, OAUTHBEARER, result.reason);
      s.oauthRefused = true;
      return { errorCode: ErrorCode.NONE, errorMessage: '', authBytes: Buffer.from(OAUTHBEARER_INVALID_TOKEN), sessionLifetimeMs: 0 };
    }
    if (parsed.authzid !== '' && parsed.authzid !== result.principal) {
      return this.failed(s, conn, OAUTHBEARER, MESSAGES.oauthAuthzidMismatch(parsed.authzid, result.principal), 'the authorization id differs from the token\'s principal', signal);
    }
    return this.succeeded(s, conn, OAUTHBEARER, result.principal, Buffer.alloc(0), result.expiresAtMs - (this.o.wallMs ?? Date.now)());
  }

  /** PLAIN is checked against the user's SCRAM-SHA-512 credential, or its SCRAM-SHA-256 one. */
  private async plainCredential(user: string): Promise<{ hash: ScramHash; credential: ScramCredential } | undefined> {
    for (const mechanism of [SCRAM_SHA_512, SCRAM_SHA_256] as const) {
      const credential = await this.o.credentials.scramCredential(user, mechanism);
      if (credential !== undefined) return { hash: SCRAM_HASH[mechanism], credential };
    }
    return undefined;
  }

  /** credentialLifetimeMs: what is left of a bearer token's life, which bounds the session as connections.max.reauth.ms does. */
  private succeeded(s: SaslState, conn: SaslConnection, mechanism: SaslMechanism, user: string, authBytes: Buffer, credentialLifetimeMs?: number): AuthenticateAnswer {
    const principal: KafkaPrincipal = { type: 'User', name: user };
    const reauthentication = s.authenticated !== undefined;
    if (s.authenticated !== undefined && principalString(s.authenticated) !== principalString(principal)) {
      const message = MESSAGES.reauthPrincipalChanged(principalString(s.authenticated), principalString(principal));
      this.fail(s, conn, mechanism, 'the principal changed during re-authentication');
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
    }
    const session = conn.session!;
    session.principal = principal;
    session.saslMechanism = mechanism;
    s.authenticated = principal;
    s.phase = 'done';
    s.scram = undefined;
    // Kafka's ReauthInfo: the smaller of connections.max.reauth.ms and the credential's
    // remaining life, never negative; a token already past exp (inside the clock skew) gives
    // a session that ends at its next request.
    const maxReauth = this.o.maxReauthMs > 0 ? this.o.maxReauthMs : undefined;
    const lifetime = credentialLifetimeMs === undefined ? maxReauth : Math.max(0, Math.floor(maxReauth === undefined ? credentialLifetimeMs : Math.min(credentialLifetimeMs, maxReauth)));
    s.expiresAtMs = lifetime !== undefined ? this.o.nowMs() + lifetime : undefined;
    this.o.onEvent?.({ kind: 'authenticated', mechanism, principal: principalString(principal), remoteAddress: conn.remoteAddress, reauthentication });
    return { errorCode: ErrorCode.NONE, errorMessage: '', authBytes, sessionLifetimeMs: lifetime ?? 0 };
  }

  /** Ends the exchange as failed: the connection closes at its next request. reason undefined: the failure was recorded already. */
  private fail(s: SaslState, conn: SaslConnection, mechanism: string, reason: string | undefined): void {
    if (reason !== undefined) this.record(s, conn, mechanism, reason);
    s.phase = 'failed';
    s.scram = undefined;
    s.oauthRefused = undefined;
  }

  /** Counts a failure against the client's address and reports it. */
  private record(s: SaslState, conn: SaslConnection, mechanism: string, reason: string): void {
    this.limiter.recordFailure(addressOf(conn.remoteAddress), this.o.nowMs());
    this.o.onEvent?.({ kind: 'failed', mechanism: mechanism.slice(0, 40), remoteAddress: conn.remoteAddress, reason, reauthentication: s.authenticated !== undefined });
  }

  /** A failure's answer, held back by the failure delay (cut short when the connection closes). */
  private async failed(s: SaslState, conn: SaslConnection, mechanism: string, message: string, reason: string | undefined, signal: AbortSignal | undefined): Promise<AuthenticateAnswer> {
    this.fail(s, conn, mechanism, reason);
    if (this.o.failedAuthenticationDelayMs > 0) await delay(this.o.failedAuthenticationDelayMs, signal);
    return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
  }

  /** A credential no password matches, with a salt that is the same for the same user name. */
  private standIn(user: string, mechanism: ScramMechanism): ScramCredential {
    const salt = createHmac('sha256', this.fakeSaltKey).update(`${mechanism}\u0000${user}`).digest().subarray(0, SCRAM_SALT_BYTES);
    const size = mechanism === SCRAM_SHA_512 ? 64 : 32;
    return { salt, iterations: this.o.iterations, storedKey: randomBytes(size), serverKey: randomBytes(size) };
  }

  private state(session: ConnectionSession): SaslState {
    let s = this.states.get(session);
    if (s === undefined) {
      s = { phase: 'handshake', mechanism: undefined, scram: undefined, oauthRefused: undefined, authenticated: undefined, expiresAtMs: undefined, lastReauthStartMs: undefined };
      this.states.set(session, s);
    }
    return s;
  }
}

function illegal(message: string): AuthenticateAnswer {
  return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
