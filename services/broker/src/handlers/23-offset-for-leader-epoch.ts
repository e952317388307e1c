// OffsetForLeaderEpoch (key 23), versions 2–4. Clients ask it after a leader change to
// learn where the epoch they last saw ended, and truncate past data that diverged. The
// answer is the largest epoch <= the asked one that has data, and the first offset after
// it (the log end offset for the current epoch). Leader epochs come from the batches
// themselves, which carry the epoch they were written under. A partition whose index
// cannot be read because the controller is unavailable answers KAFKA_STORAGE_ERROR
// (controller-failure.ts), which consumers retry; the others as usual.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { AclOperation, CLUSTER_RESOURCE_NAME } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import { ledPartition } from '../led-partition.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';

export function offsetForLeaderEpochHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    accept: [2, 4],
    handle: async (req, rctx) => {
      const catalog = ctx.catalog();
      const topics = [];
      // Kafka: a follower (replica id >= 0) needs CLUSTER_ACTION; a client DESCRIBE on each topic.
      const followerDenied = req.replicaId >= 0 && !isAllowed(ctx.authorizer, rctx, AclOperation.CLUSTER_ACTION, 'cluster', CLUSTER_RESOURCE_NAME);
      for (const t of req.topics) {
        const topic = catalog.topic(t.topic);
        const partitions = [];
        const denied = followerDenied || !isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'topic', t.topic);
        for (const p of t.partitions) {
          const fail = (errorCode: number) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1 });
          if (denied) {
            partitions.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const led = await ledPartition(ctx, topic, p.partition, p.currentLeaderEpoch);
          if (!led.ok) {
            partitions.push(fail(led.errorCode));
            continue;
          }
          let found: { epoch: number; endOffset: number } | undefined;
          try {
            found = await led.open.log.endOffsetForEpoch(p.leaderEpoch);
          } catch (e) {
            const failed = controllerFailureAnswer(e, 'read');
            if (failed === undefined) throw e;
            partitions.push(fail(failed.errorCode));
            continue;
          }
          partitions.push(found ? { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: found.endOffset } : fail(ErrorCode.NONE));
        }
        topics.push({ topic: t.topic, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
