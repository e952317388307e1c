// The SASL mechanisms the broker implements, their names as Kafka clients send them
// (sasl.mechanism / sasl.mechanisms), and the constants of their exchanges in one place.

export const PLAIN = 'PLAIN';
export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_SHA_512 = 'SCRAM-SHA-512';
/** RFC 7628 bearer tokens (JWTs), validated by oauthbearer.ts. */
export const OAUTHBEARER = 'OAUTHBEARER';

export const SASL_MECHANISMS = [PLAIN, SCRAM_SHA_256, SCRAM_SHA_512, OAUTHBEARER] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];
export type ScramMechanism = typeof SCRAM_SHA_256 | typeof SCRAM_SHA_512;

export function isSaslMechanism(name: string): name is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(name);
}

/** Node's digest name for each SCRAM mechanism; sha1 only for RFC 5802's own test vector. */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';
export const SCRAM_HASH: Readonly<Record<ScramMechanism, ScramHash>> = { [SCRAM_SHA_256]: 'sha256', [SCRAM_SHA_512]: 'sha512' };

/** Kafka's sasl.server.max.receive.size default: the largest frame before authentication (receive-limit.ts). */
export const SASL_MAX_RECEIVE_BYTES = 512 * 1024;

/** RFC 7677 §4 and Kafka's ScramMechanism: fewer iterations than this are refused. */
export const SCRAM_MIN_ITERATIONS = 4096;
/** Bytes of random salt per credential (Kafka's ScramFormatter uses 32 random bytes too). */
export const SCRAM_SALT_BYTES = 32;
/** Bytes of randomness in the server's nonce part. */
export const SCRAM_NONCE_BYTES = 24;

/**
 * What a client is told when authentication fails, in Kafka's words, so that tools that
 * match on them (and people who search for them) find what they know.
 */
export const MESSAGES = {
  plainInvalid: 'Authentication failed: Invalid username or password',
  scramInvalid: (mechanism: string): string => `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
  reauthPrincipalChanged: (from: string, to: string): string => `Cannot change principals during re-authentication from ${from}: ${to}`,
  reauthMechanismChanged: (from: string, to: string): string => `SASL mechanism '${to}' requested by client is not supported for re-authentication of mechanism '${from}'`,
  tooManyFailures: 'Authentication failed: too many failed authentications from this address, try again later',
  afterSuccess: 'SaslAuthenticate request received after successful authentication',
  unexpectedAuthenticate: 'Unexpected SaslAuthenticate request: no SaslHandshake before it',
  oauthAuthzidMismatch: (authzid: string, principal: string): string => `Authentication failed: Client requested an authorization id (${authzid}) that is different from the token's principal name (${principal})`,
} as const;
