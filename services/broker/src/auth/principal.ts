// Who a connection's requests come from (Kafka's KafkaPrincipal, `User:alice`), and the
// per-connection security session that holds it. A connection starts as User:ANONYMOUS,
// as in Kafka on a PLAINTEXT listener; a TLS listener with client authentication sets the
// principal from the certificate, SASL from the authenticated identity. The session is
// created by the network layer for each connection and read by the dispatcher and
// handlers (the authorizer, quotas) through the request context.

export interface KafkaPrincipal {
  /** Kafka's principal type: `User` for every principal it builds. */
  readonly type: string;
  readonly name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

/** `User:alice`, as Kafka writes principals in ACLs and logs. */
export function principalString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}

/** Parses `User:alice` (the type is what comes before the first colon). */
export function parsePrincipal(text: string): KafkaPrincipal {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new RangeError(`a principal is TYPE:NAME (e.g. User:alice), got '${text}'`);
  return { type: text.slice(0, colon), name: text.slice(colon + 1) };
}

/** Kafka's security protocols: a listener's, and so each of its connections'. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

/** One connection's security state; mutable, owned by its connection. */
export class ConnectionSession {
  /**
   * The security protocol of the listener the connection arrived on, set by the network
   * layer when it creates the session (Kafka's listener.security.protocol.map). On
   * SASL_PLAINTEXT and SASL_SSL, requests other than ApiVersions, SaslHandshake and
   * SaslAuthenticate are refused until SASL authentication succeeds.
   */
  securityProtocol: SecurityProtocol = 'PLAINTEXT';
  principal: KafkaPrincipal = ANONYMOUS;
  /** The SASL mechanism the connection authenticated with, once it has (undefined before, and without SASL). */
  saslMechanism: string | undefined;
}
