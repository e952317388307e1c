// The broker's log line about a request it could not serve as asked (malformed, an
// unsupported version, a handler that failed, an acks=0 produce that failed): which client,
// connection and request it was — clientId, connectionId, the peer's address and the
// request's correlation id — so the line can be matched with the client's own log.
// Rate-limited per problem (log-limiter.ts): a client repeating a bad request thousands
// of times a second makes one line per interval with the count of the rest.

import type { ParsedRequestHeader } from '@stratus/protocol';
import type { ProblemConnection } from '@stratus/broker';
import { rateLimitedWarn } from '../log-limiter.ts';
import type { Logger } from '../logger.ts';

export function requestProblemLogger(log: Logger): (problem: string, header: ParsedRequestHeader | undefined, error?: unknown, conn?: ProblemConnection) => void {
  const warn = rateLimitedWarn(log);
  return (problem, header, error, conn) =>
    warn(
      {
        err: error,
        clientId: header?.clientId,
        apiKey: header?.apiKey,
        apiVersion: header?.apiVersion,
        correlationId: header?.correlationId,
        connectionId: conn?.connectionId,
        remote: conn?.remoteAddress,
      },
      problem,
    );
}
