// How large a frame a client that has not authenticated may send: Kafka's
// sasl.server.max.receive.size (default 512 KiB, SaslServerAuthenticator). Above it Kafka
// closes the connection without reading the body. Without this limit a client that knows
// no password could make the broker buffer requests up to socket.request.max.bytes
// (100 MiB) on each connection, out of the budgets authenticated clients share (found by
// test/fuzz/sasl-fuzz.test.ts, size family). The SASL messages themselves are small: a
// PLAIN triple or a SCRAM message is a few hundred bytes.

import type { SaslAuthenticator, SaslConnection } from './authenticator.ts';
import { SASL_MAX_RECEIVE_BYTES } from './mechanisms.ts';

export { SASL_MAX_RECEIVE_BYTES };

/**
 * The network layer's per-connection limit: `maxBytes` (sasl.maxReceiveSize, Kafka's
 * 512 KiB by default) on a connection that must authenticate and has not yet (no
 * mechanism on its session), none otherwise.
 */
export function saslReceiveLimit(sasl: Pick<SaslAuthenticator, 'requires'>, maxBytes = SASL_MAX_RECEIVE_BYTES): (conn: SaslConnection) => number | undefined {
  return (conn) => (conn.session?.saslMechanism === undefined && sasl.requires(conn) ? maxBytes : undefined);
}
