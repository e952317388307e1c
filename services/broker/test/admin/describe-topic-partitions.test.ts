import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import type { DescribeTopicPartitionsResponse } from '@stratus/protocol';
import { describeTopicPartitionsHandler } from '../../src/handlers/75-describe-topic-partitions.ts';
import { adminFixture, call } from './support/wire.ts';

const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

function fixture() {
  const f = adminFixture();
  f.controller.addTopic('orders', 3);
  f.controller.addTopic('audit', 2);
  f.controller.addTopic('zeta', 1);
  return { ...f, handler: describeTopicPartitionsHandler(f.ctx) };
}

describe('DescribeTopicPartitions v0', () => {
  it('describes every topic, sorted by name, with partitions, leaders and the full set of operations', async () => {
    const { handler } = fixture();
    const res = await call(handler, 0, { topics: [], responsePartitionLimit: 2000, cursor: null });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)])).toEqual([
      ['audit', 0, [0, 1]],
      ['orders', 0, [0, 1, 2]],
      ['zeta', 0, [0]],
    ]);
    // Broker 2 is in a rack the leader (no rack) is not in: it serves that rack's consumers (KIP-392), so it is listed as a replica.
    expect(res.topics[1]!.partitions[2]).toMatchObject({ leaderId: 1, leaderEpoch: 0, replicaNodes: [1, 2], isrNodes: [1, 2], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [] });
    expect(res.topics.every((t) => t.topicAuthorizedOperations === TOPIC_OPERATIONS)).toBe(true);
    expect(res.nextCursor).toBeNull();
  });

  it('names unknown and invalid topics with their errors', async () => {
    const { handler } = fixture();
    const res = await call(handler, 0, { topics: [{ name: 'zeta' }, { name: 'missing' }, { name: 'bad name!' }], responsePartitionLimit: 2000, cursor: null });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['zeta', ErrorCode.NONE],
    ]);
  });

  it('pages by ResponsePartitionLimit with a cursor, and following the cursors yields every partition once', async () => {
    const { handler } = fixture();
    const seen: string[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    let pages = 0;
    do {
      const res: DescribeTopicPartitionsResponse = await call(handler, 0, { topics: [], responsePartitionLimit: 2, cursor });
      for (const t of res.topics) for (const p of t.partitions) seen.push(`${t.name}-${p.partitionIndex}`);
      expect(res.topics.reduce((n, t) => n + t.partitions.length, 0)).toBeLessThanOrEqual(2);
      cursor = res.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual(['audit-0', 'audit-1', 'orders-0', 'orders-1', 'orders-2', 'zeta-0']);
    expect(pages).toBe(3);
  });

  it('refuses a cursor on a topic that was not asked for', async () => {
    const { handler } = fixture();
    const res = await call(handler, 0, { topics: [{ name: 'orders' }], responsePartitionLimit: 10, cursor: { topicName: 'zeta', partitionIndex: 0 } });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([['orders', ErrorCode.INVALID_REQUEST]]);
  });
});
