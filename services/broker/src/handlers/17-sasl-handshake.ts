// SaslHandshake (key 17), version 1: the client names a mechanism; the answer lists the
// enabled ones (UNSUPPORTED_SASL_MECHANISM when it is not among them). Registered only
// when SASL is configured. v0 — after which the tokens come as raw frames without Kafka
// headers — is not served: every client this project is tested with (Java, librdkafka,
// kafkajs) sends v1 and then SaslAuthenticate, and a v0 request is answered
// UNSUPPORTED_VERSION. The authenticator (auth/sasl/) keeps the connection's state.

import { ApiKey } from '@stratus/protocol';
import type { SaslAuthenticator } from '../auth/sasl/index.ts';
import { defineHandler } from '../handler.ts';

export function saslHandshakeHandler(sasl: SaslAuthenticator) {
  return defineHandler({
    apiKey: ApiKey.SaslHandshake,
    accept: [1, 1],
    handle: (request, ctx) => sasl.handshake(request.mechanism, ctx),
  });
}
