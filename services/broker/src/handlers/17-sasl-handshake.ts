// SaslHandshake (key 17): the client names a mechanism; the answer lists the enabled ones
// (UNSUPPORTED_SASL_MECHANISM when it is not among them). Registered only when SASL is
// configured. Versions 0–1 are advertised, as Kafka does — librdkafka sees SASL support
// only in a range that includes v0 — but only v1 is served: after a v0 handshake the
// tokens would come as raw frames without Kafka headers, which no client this project is
// tested with sends (Java, librdkafka and kafkajs use v1 and SaslAuthenticate whenever the
// broker offers them); a v0 request is answered UNSUPPORTED_VERSION and the connection is
// closed at its next request. The authenticator (auth/sasl/) keeps the connection's state;
// one SASL request at a time per connection (auth/sasl/in-turn.ts).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { SaslAuthenticator } from '../auth/sasl/index.ts';
import { inTurn } from '../auth/sasl/in-turn.ts';
import { CloseConnection, defineHandler } from '../handler.ts';

export function saslHandshakeHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslHandshake,
    accept: [0, 1],
    handle: (request, ctx) =>
      inTurn(ctx.session, () => {
        // Asked again once the connection's earlier SASL request is done (it may have failed).
        const refused = sasl.gate(ApiKey.SaslHandshake, ctx);
        if (refused !== undefined) return new CloseConnection(refused);
        if (ctx.header.apiVersion === 0) {
          sasl.refuse(ctx, 'SaslHandshake v0 (raw SASL tokens) is not supported');
          return { errorCode: ErrorCode.UNSUPPORTED_VERSION, mechanisms: [...sasl.mechanisms] };
        }
        return sasl.handshake(request.mechanism, ctx);
      }),
  });
}
