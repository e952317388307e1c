// DeleteRecords (key 21), all versions (0–2). Moves a partition's log start offset up to
// the given offset (-1: the high watermark); data below it is no longer readable and its
// objects are collected once no extent refers to them. OFFSET_OUT_OF_RANGE beyond the
// high watermark. The broker's log start moves at once; the controller records the move
// once the data below it is committed (see delete-records/log-start-recorder.ts). The
// request waits for that within its timeout only — timeout 0 answers at once, as Kafka
// does — and the answer carries the low watermark the broker recorded. Partitions are
// handled side by side, so the whole request takes at most about one timeout. The
// controller unavailable (controller-failure.ts): REQUEST_TIMED_OUT for the partition —
// its log start has moved here all the same, and a retry records it.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import { ledPartition } from '../led-partition.ts';
import { withinTimeout } from '../within-timeout.ts';

export function deleteRecordsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteRecords,
    accept: [0, 2],
    handle: async (req, rctx) => {
      const catalog = ctx.catalog();
      const topics = req.topics.map(async (t) => {
        const topic = catalog.topic(t.name);
        // Kafka: DELETE on the topic, checked before it is looked up.
        const denied = !isAllowed(ctx.authorizer, rctx, AclOperation.DELETE, 'topic', t.name);
        const partitions = t.partitions.map(async (p) => {
          const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode });
          if (denied) return fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const led = await ledPartition(ctx, topic, p.partitionIndex, -1, 'deleteRecords');
          if (!led.ok) return fail(led.errorCode);
          const log = led.open.log;
          const target = p.offset === -1 ? log.highWatermark : p.offset;
          if (target < 0 || target > log.highWatermark) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
          const recorded = await withinTimeout(ctx.clock, led.open.logStart.request(target), req.timeoutMs);
          if (recorded !== 'timeout' && recorded.errorCode !== ErrorCode.NONE) return fail(recorded.errorCode);
          return { partitionIndex: p.partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.NONE };
        });
        return { name: t.name, partitions: await Promise.all(partitions) };
      });
      return { throttleTimeMs: 0, topics: await Promise.all(topics) };
    },
  });
}
