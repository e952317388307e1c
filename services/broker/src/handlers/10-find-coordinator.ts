// FindCoordinator (API 10), versions 0–4. Group keys (key type 0) map to a broker by
// hashing the group id over the live brokers (groups/coordinator-locator.ts); in
// embedded mode that is always this broker. The answer is the coordinator's address for
// the listener the request came through; a coordinator without that listener is
// COORDINATOR_NOT_AVAILABLE with no node, as Kafka answers (KIP-103). v4 batches keys (`coordinatorKeys`) and
// answers per key. Transaction coordinators (key type 1) do not exist here: the answer
// is a non-retriable INVALID_REQUEST with a message, so a transactional producer fails at
// once with that message instead of retrying until its timeout.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { coordinatorEndpoint } from '../groups/coordinator-locator.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

interface CoordinatorAnswer {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

function locate(ctx: BrokerContext, rctx: RequestContext, key: string, keyType: number, listener: string): CoordinatorAnswer {
  if (keyType === KEY_TYPE_GROUP) {
    // Kafka: DESCRIBE on the group.
    if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'group', key)) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null };
    const node = coordinatorEndpoint(ctx, key, listener);
    if (node === undefined) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: `The coordinator has no listener ${listener}` };
    return { key, nodeId: node.nodeId, host: node.host, port: node.port, errorCode: ErrorCode.NONE, errorMessage: null };
  }
  const errorMessage =
    keyType === KEY_TYPE_TRANSACTION
      ? 'Transactions are not supported by this broker (transactional.id cannot be used)'
      : `Unsupported coordinator key type ${keyType}`;
  return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
}

export function findCoordinatorHandler(ctx: BrokerContext): ApiHandler<typeof ApiKey.FindCoordinator> {
  return defineHandler({
    apiKey: ApiKey.FindCoordinator,
    accept: [0, 4],
    handle(req, rctx) {
      if (rctx.header.apiVersion >= 4) {
        return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => locate(ctx, rctx, key, req.keyType, rctx.listenerName)) };
      }
      const a = locate(ctx, rctx, req.key, req.keyType, rctx.listenerName);
      return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port };
    },
  });
}
