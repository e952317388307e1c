// OffsetForLeaderEpoch (key 23), versions 2–4. Clients ask it after a leader change to
// learn where the epoch they last saw ended, and truncate past data that diverged. The
// answer is the largest epoch <= the asked one that has data, and the first offset after
// it (the log end offset for the current epoch). Leader epochs come from the batches
// themselves, which carry the epoch they were written under.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { defineHandler } from '../handler.ts';

export function offsetForLeaderEpochHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.OffsetForLeaderEpoch,
    accept: [2, 4],
    handle: async (req) => {
      const catalog = ctx.catalog();
      const topics = [];
      for (const t of req.topics) {
        const topic = catalog.topic(t.topic);
        const partitions = [];
        for (const p of t.partitions) {
          const fail = (errorCode: number) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1 });
          if (topic === undefined || !topic.partitions.some((x) => x.partition === p.partition)) {
            partitions.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
            continue;
          }
          const open = ctx.partitions.openNow(topic.topicId, p.partition) ?? (await ctx.partitions.partition(topic.topicId, p.partition));
          if (open === undefined) {
            partitions.push(fail(ErrorCode.NOT_LEADER_OR_FOLLOWER));
            continue;
          }
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== open.leaderEpoch) {
            partitions.push(fail(p.currentLeaderEpoch < open.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH));
            continue;
          }
          const found = await open.log.endOffsetForEpoch(p.leaderEpoch);
          partitions.push(found ? { errorCode: ErrorCode.NONE, partition: p.partition, leaderEpoch: found.epoch, endOffset: found.endOffset } : fail(ErrorCode.NONE));
        }
        topics.push({ topic: t.topic, partitions });
      }
      return { throttleTimeMs: 0, topics };
    },
  });
}
