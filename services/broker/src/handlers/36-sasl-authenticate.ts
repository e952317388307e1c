// SaslAuthenticate (key 36), versions 0–2: one SASL token each way (PLAIN: one round;
// SCRAM: two). From v1 the answer carries session_lifetime_ms (KIP-368), the time after
// which the client must re-authenticate. Registered only when SASL is configured.

import { ApiKey } from '@stratus/protocol';
import type { SaslAuthenticator } from '../auth/sasl/index.ts';
import { defineHandler } from '../handler.ts';

export function saslAuthenticateHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslAuthenticate,
    accept: [0, 2],
    handle: (request, ctx) => sasl.authenticate(request.authBytes, ctx, ctx.signal),
  });
}
