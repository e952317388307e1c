// ListOffsets (key 2), versions 1–7. Per partition, by timestamp: -1 latest (the high
// watermark, which is also the last stable offset without transactions), -2 earliest
// (the log start), -3 the record with the largest timestamp (v7), or the first offset
// whose record timestamp is >= the given one; -1/-1 when there is none. The leader epoch
// of the found record is returned from v4. Served by the partition's leader. A partition
// whose log start or index cannot be read because the controller is unavailable answers
// KAFKA_STORAGE_ERROR (controller-failure.ts), which consumers retry; the others as usual.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { Input, ListOffsetsResponseListOffsetsPartitionResponse } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';
import { ledPartition } from '../led-partition.ts';
import { controllerFailureAnswer } from '../controller-failure.ts';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

export function listOffsetsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.ListOffsets,
    accept: [1, 7],
    handle: async (req, rctx) => {
      const catalog = ctx.catalog();
      const topics = [];
      for (const t of req.topics) {
        const topic = catalog.topic(t.name);
        const partitions: Input<ListOffsetsResponseListOffsetsPartitionResponse>[] = [];
        // Kafka: DESCRIBE on the topic, checked before it is looked up.
        const denied = !isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE, 'topic', t.name);
        for (const p of t.partitions) {
          const fail = (errorCode: number): Input<ListOffsetsResponseListOffsetsPartitionResponse> => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 });
          if (denied) {
            partitions.push(fail(ErrorCode.TOPIC_AUTHORIZATION_FAILED));
            continue;
          }
          const led = await ledPartition(ctx, topic, p.partitionIndex, p.currentLeaderEpoch);
          if (!led.ok) {
            partitions.push(fail(led.errorCode));
            continue;
          }
          const open = led.open;
          const log = open.log;
          const at = (offset: number, timestamp = -1, leaderEpoch = open.leaderEpoch): Input<ListOffsetsResponseListOffsetsPartitionResponse> => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.NONE,
            timestamp,
            offset,
            leaderEpoch,
          });
          try {
            if (p.timestamp === LATEST) partitions.push(at(log.highWatermark));
            else if (p.timestamp === EARLIEST) partitions.push(at(await log.syncLogStart()));
            else if (p.timestamp === MAX_TIMESTAMP) {
              const found = await log.maxTimestamp();
              partitions.push(found ? at(found.offset, found.timestamp, found.leaderEpoch) : at(-1, -1, -1));
            } else if (p.timestamp < 0) {
              partitions.push(fail(ErrorCode.INVALID_REQUEST));
            } else {
              const found = await log.offsetForTimestamp(p.timestamp);
              partitions.push(found ? at(found.offset, found.timestamp, found.leaderEpoch) : at(-1, -1, -1));
            }
          } catch (e) {
            const failed = controllerFailureAnswer(e, 'read');
            if (failed === undefined) throw e;
            partitions.push(fail(failed.errorCode));
          }
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
