// SaslAuthenticate (key 36), versions 0–2: one SASL token each way (PLAIN: one round;
// SCRAM: two). From v1 the answer carries session_lifetime_ms (KIP-368), the time after
// which the client must re-authenticate. Registered only when SASL is configured. One at
// a time per connection (auth/sasl/in-turn.ts): a request pipelined behind a failure is
// closed unanswered, as Kafka closes the connection after it.

import { ApiKey } from '@stratus/protocol';
import type { SaslAuthenticator } from '../auth/sasl/index.ts';
import { inTurn } from '../auth/sasl/in-turn.ts';
import { CloseConnection, defineHandler } from '../handler.ts';

export function saslAuthenticateHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslAuthenticate,
    accept: [0, 2],
    handle: (request, ctx) =>
      inTurn(ctx.session, async () => {
        // The gate let it in while an earlier step was under way; ask again now that it is done.
        const refused = sasl.gate(ApiKey.SaslAuthenticate, ctx);
        return refused === undefined ? sasl.authenticate(request.authBytes, ctx, ctx.signal) : new CloseConnection(refused);
      }),
  });
}
