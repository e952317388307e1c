// InitProducerId (key 22), versions 0–4. Hands out producer ids for idempotent producers
// (the Java producer's default), taken from blocks the controller allocates, so ids stay
// unique across restarts and brokers. A producer that passes its current id and epoch
// (v3+, KIP-360) gets the same id with the epoch bumped; an exhausted epoch gets a new id.
// Transactional ids are refused: transactions are not supported yet.
//
// When no block can be had (the controller is unavailable) the answer is
// COORDINATOR_LOAD_IN_PROGRESS, as Kafka's ProducerIdManager answers while it waits for a
// block (controller-failure.ts); producers retry it. A failed allocation is forgotten, so
// the next request asks the controller again instead of meeting the same failure.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed, isAllowedOnAny } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';

const BLOCK_SIZE = 1000;
const MAX_EPOCH = 32767;

export function initProducerIdHandler(ctx: BrokerContext) {
  let next = 0;
  let end = 0;
  // One allocation in flight, shared by every request that finds the block used up.
  let refill: Promise<void> | undefined;
  const allocate = async (): Promise<number> => {
    while (next >= end) {
      refill ??= ctx.controller.allocateProducerIds(BLOCK_SIZE).then(
        (block) => {
          next = block.firstProducerId;
          end = block.firstProducerId + block.size;
          refill = undefined;
        },
        (e: unknown) => {
          refill = undefined;
          throw e;
        },
      );
      await refill;
    }
    return next++;
  };
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    accept: [0, 4],
    handle: async (req, rctx) => {
      if (req.transactionalId !== null) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      // Kafka (>= 2.8): IDEMPOTENT_WRITE on the cluster, or WRITE on at least one topic.
      if (!isAllowed(ctx.authorizer, rctx, AclOperation.IDEMPOTENT_WRITE, 'cluster', CLUSTER_RESOURCE_NAME, false) && !isAllowedOnAny(ctx.authorizer, rctx, AclOperation.WRITE, 'topic')) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      if (req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
      }
      try {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await allocate(), producerEpoch: 0 };
      } catch (e) {
        const failed = controllerFailureAnswer(e, 'producerIds');
        if (failed === undefined) throw e;
        return { throttleTimeMs: 0, errorCode: failed.errorCode, producerId: -1, producerEpoch: -1 };
      }
    },
  });
}
