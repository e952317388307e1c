// InitProducerId (key 22), versions 0–4. Hands out producer ids for idempotent producers
// (the Java producer's default), taken from blocks the controller allocates, so ids stay
// unique across restarts and brokers. A producer that passes its current id and epoch
// (v3+, KIP-360) gets the same id with the epoch bumped; an exhausted epoch gets a new id.
// Transactional ids are refused: transactions are not supported yet.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';

const BLOCK_SIZE = 1000;
const MAX_EPOCH = 32767;

export function initProducerIdHandler(ctx: BrokerContext) {
  let next = 0;
  let end = 0;
  let refill: Promise<void> | undefined;
  const allocate = async (): Promise<number> => {
    while (next >= end) {
      refill ??= ctx.controller.allocateProducerIds(BLOCK_SIZE).then((block) => {
        next = block.firstProducerId;
        end = block.firstProducerId + block.size;
        refill = undefined;
      });
      await refill;
    }
    return next++;
  };
  return defineHandler({
    apiKey: ApiKey.InitProducerId,
    accept: [0, 4],
    handle: async (req) => {
      if (req.transactionalId !== null) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      if (req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await allocate(), producerEpoch: 0 };
    },
  });
}
