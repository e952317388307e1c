// SASL/PLAIN (RFC 4616): one message, `authzid NUL authcid NUL password`, checked against
// the user's stored SCRAM credential (PBKDF2 of the password with its salt), so a broker
// that offers PLAIN keeps no clear password either. Only over TLS is PLAIN safe on a
// network: the password travels as written.

import { MESSAGES } from './mechanisms.ts';

export interface PlainResponse {
  readonly user: string;
  readonly password: string;
}

/** Parses the client's message, or returns the message the client is told (Kafka's PlainSaslServer's). */
export function parsePlain(message: Buffer): PlainResponse | { readonly error: string } {
  const tokens = message.toString('utf8').split('\u0000');
  if (tokens.length !== 3) return { error: `Invalid SASL/PLAIN response: expected 3 tokens, got ${tokens.length}` };
  const [authzid, user, password] = tokens as [string, string, string];
  if (user === '') return { error: 'Authentication failed: username not specified' };
  if (password === '') return { error: 'Authentication failed: password not specified' };
  if (authzid !== '' && authzid !== user) return { error: 'Authentication failed: Client requested an authorization id that is different from username' };
  return { user, password };
}

export const PLAIN_INVALID = MESSAGES.plainInvalid;
