// The TLS side of an SSL or SASL_SSL listener: a raw TCP connection the server accepted
// (and counted against its limits) is wrapped in a TLS server socket with the listener's
// current context, and becomes a Kafka connection once the handshake is done and the
// client's principal known. The handshake is bounded by a timeout, so a client that opens
// a connection and sends nothing, or trickles its ClientHello, holds its slot only that
// long. Every failure — a plaintext client (its first bytes are not a TLS record), a
// client certificate missing (required) or not from the CA, a subject no mapping rule
// applies to, the timeout — closes the connection and is reported once.
//
// Client authentication, as Kafka's ssl.client.auth:
//   none       no certificate asked for; the principal is User:ANONYMOUS
//   requested  asked for; without one User:ANONYMOUS, with one it must verify against the CA
//   required   without a verified certificate the handshake fails
// The principal of a verified certificate is its subject (RFC 2253, as Java writes it)
// through the listener's ssl.principal.mapping.rules.

import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { KafkaPrincipal } from '../../auth/principal.ts';
import { ANONYMOUS } from '../../auth/principal.ts';
import type { SslPrincipalMapper } from '../../auth/tls/principal-mapping.ts';
import { rfc2253Subject } from '../../auth/tls/subject-name.ts';

export type SslClientAuth = 'none' | 'requested' | 'required';

/** What a TLS listener needs: its (reloading) context, client authentication and mapping rules. */
export interface ListenerTls {
  /** The context for a connection accepted now (ReloadingTlsContext follows its files). */
  readonly context: { current(): tls.SecureContext; close?(): void };
  readonly clientAuth: SslClientAuth;
  readonly principalMapper: SslPrincipalMapper;
}

export type HandshakeResult =
  | { readonly ok: true; readonly socket: tls.TLSSocket; readonly principal: KafkaPrincipal }
  | { readonly ok: false; readonly reason: string; readonly timedOut: boolean };

/** A handshake under way; abort() closes it (the server shutting down). */
export interface PendingHandshake {
  abort(reason: string): void;
}

/**
 * Starts the TLS handshake on an accepted socket. `done` is called exactly once: with the
 * TLS socket and principal, or with why the connection was closed.
 */
export function startTlsHandshake(raw: Socket, config: ListenerTls, timeoutMs: number, done: (result: HandshakeResult) => void): PendingHandshake {
  const socket = new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: config.context.current(),
    requestCert: config.clientAuth !== 'none',
    // Verified below, as tls.Server does: a TLSSocket made outside a tls.Server neither
    // sets `authorized` nor applies rejectUnauthorized itself.
    rejectUnauthorized: false,
  });
  let settled = false;
  const fail = (reason: string, timedOut = false): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.off('error', onError);
    // Errors after this (the peer's reset while closing) only close it.
    socket.on('error', () => undefined);
    raw.on('error', () => undefined);
    socket.destroy();
    done({ ok: false, reason, timedOut });
  };
  const onError = (err: Error & { code?: string }): void => fail(describeTlsError(err));
  const timer = setTimeout(() => fail(`TLS handshake not finished within ${timeoutMs} ms`, true), timeoutMs);
  timer.unref();
  socket.on('error', onError);
  raw.on('error', (err) => fail(describeTlsError(err)));
  const onClose = (): void => fail('closed by the client during the TLS handshake');
  socket.once('close', onClose);
  socket.once('secure', () => {
    if (settled) return;
    let principal: KafkaPrincipal;
    try {
      principal = clientPrincipal(socket, config);
    } catch (e) {
      fail((e as Error).message);
      return;
    }
    settled = true;
    clearTimeout(timer);
    socket.off('error', onError);
    socket.off('close', onClose);
    done({ ok: true, socket, principal });
  });
  return { abort: (reason) => fail(reason) };
}

function clientPrincipal(socket: tls.TLSSocket, config: ListenerTls): KafkaPrincipal {
  if (config.clientAuth === 'none') return ANONYMOUS;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) {
    if (config.clientAuth === 'required') throw new Error('no client certificate (ssl.client.auth is required)');
    return ANONYMOUS;
  }
  const error = verifyError(socket);
  if (error !== null) throw new Error(`client certificate not trusted: ${error}`);
  return { type: 'User', name: config.principalMapper.name(rfc2253Subject(cert.subject)) };
}

/**
 * OpenSSL's verdict on the client's chain against the context's CA — what tls.Server
 * reads for `authorized` (lib/_tls_wrap.js), from the same handle. Unknown: not trusted.
 */
function verifyError(socket: tls.TLSSocket): string | null {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } | null })._handle;
  if (typeof handle?.verifyError !== 'function') return 'cannot verify (no TLS handle)';
  const err = handle.verifyError();
  return err === null ? null : (err.code ?? err.message);
}

/** A TLS error as a short reason for a debug line (OpenSSL's reason, never key material). */
function describeTlsError(err: Error & { code?: string; reason?: string }): string {
  const code = err.code ?? '';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_HTTP_REQUEST' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return `not a TLS client (${code}): a plaintext client on a TLS listener?`;
  }
  if (code === 'ECONNRESET') return 'reset by the client during the TLS handshake';
  return `TLS handshake failed: ${err.reason ?? err.message}${code === '' ? '' : ` (${code})`}`;
}
