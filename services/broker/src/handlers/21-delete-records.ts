// DeleteRecords (key 21), all versions (0–2). Moves a partition's log start offset up to
// the given offset (-1: the high watermark); data below it is no longer readable and its
// objects are collected once no extent refers to them. OFFSET_OUT_OF_RANGE beyond the
// high watermark. Data below the target that is still only in the WAL is uploaded first
// (REQUEST_TIMED_OUT if that takes longer than the request's timeout), so the move is
// recorded by the controller and survives restarts. The answer carries the new low
// watermark.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';
import { ledPartition } from '../led-partition.ts';

export function deleteRecordsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteRecords,
    accept: [0, 2],
    handle: async (req) => {
      const catalog = ctx.catalog();
      const topics = [];
      for (const t of req.topics) {
        const topic = catalog.topic(t.name);
        const partitions = [];
        for (const p of t.partitions) {
          const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode });
          const led = await ledPartition(ctx, topic, p.partitionIndex);
          if (!led.ok) {
            partitions.push(fail(led.errorCode));
            continue;
          }
          const log = led.open.log;
          const target = p.offset === -1 ? log.highWatermark : p.offset;
          if (target < 0 || target > log.highWatermark) {
            partitions.push(fail(ErrorCode.OFFSET_OUT_OF_RANGE));
            continue;
          }
          // The index can only move a log start over data it holds: wait (within the
          // request's timeout) until what lies below the target is uploaded and committed.
          const stop = new AbortController();
          const timer = setTimeout(() => stop.abort(), Math.max(0, req.timeoutMs));
          const committed = await log.committedThrough(target, stop.signal).finally(() => clearTimeout(timer));
          if (!committed) {
            partitions.push(fail(ErrorCode.REQUEST_TIMED_OUT));
            continue;
          }
          const tp = { topicId: log.topicId, partition: p.partitionIndex };
          const result = await ctx.controller.deleteRecords(tp, target);
          if (result.errorCode !== ErrorCode.NONE) {
            partitions.push(fail(result.errorCode));
            continue;
          }
          log.advanceLogStart(target);
          partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: log.logStartOffset, errorCode: ErrorCode.NONE });
        }
        topics.push({ name: t.name, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
