// A cluster of real processes (Redis, MinIO, 2 controllers, 3 brokers in racks a/b/c;
// test/cluster/lib) serves Kafka clients: a topic of 6 partitions gets its leaders spread
// over the 3 brokers (2 each, in different racks), kafkajs produces to every partition and
// a consumer group reads back exactly what was acknowledged, at the same offsets. Then a
// consumer in rack a (kafkajs `rackId`, KIP-392) reads the partitions that brokers 2 and 3
// lead from broker 1: the leader names it as preferred read replica, and broker 1's
// metrics show those partitions open as read replicas.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from './lib/kafka-clients.ts';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

describe('a cluster of 2 controllers and 3 brokers', () => {
  it('spreads 6 partitions over the 3 brokers, and what kafkajs produced is read back at its offsets', async () => {
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'cluster-produce');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: ['spread'] });
      const leaders = md.topics[0]!.partitions.map((p) => p.leader);
      const perBroker = cluster.brokers.map((b) => leaders.filter((l) => l === b.nodeId).length);
      console.log(`leaders of spread-0..5: ${leaders.join(' ')}`);
      expect(perBroker).toEqual([2, 2, 2]);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'spread', { partitions: 6, batch: 20 });
    await new Promise((r) => setTimeout(r, 1500));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures).toEqual([]);
    expect(loop.acked.length).toBeGreaterThanOrEqual(6 * 20);
    const consumed = await consumeUntil(kafka, 'spread', new Set(loop.acked.map((r) => r.value)), { groupId: 'spread-readers' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    expect(new Set(consumed.map((r) => r.partition)).size).toBe(6);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
  });

  it('serves a partition from a broker that does not lead it to a consumer of its rack (KIP-392)', async () => {
    const { kafka } = kafkaClient(cluster.bootstrapList, 'cluster-rack-a');
    const admin = kafka.admin();
    await admin.connect();
    let others: number[];
    try {
      await admin.createTopics({ topics: [{ topic: 'racks', numPartitions: 6 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: ['racks'] });
      others = md.topics[0]!.partitions.filter((p) => p.leader !== 1).map((p) => p.partitionId);
    } finally {
      await admin.disconnect();
    }
    expect(others.length).toBe(4);
    const producer = kafka.producer();
    await producer.connect();
    const loop = produceLoop(producer, 'racks', { partitions: 6, batch: 10 });
    await new Promise((r) => setTimeout(r, 800));
    await loop.stop();
    await producer.disconnect();
    const before = (await cluster.brokers[0]!.metric('stratus_broker_state', 'what="replica_partitions"')) ?? 0;
    // Rack a is broker 1's: the leaders (brokers 2 and 3) send the consumer there for committed data.
    const consumed = await consumeUntil(kafka, 'racks', new Set(loop.acked.map((r) => r.value)), { groupId: 'rack-a-readers', rackId: 'a' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    const replicas = (await cluster.brokers[0]!.metric('stratus_broker_state', 'what="replica_partitions"')) ?? 0;
    console.log(`broker 1 (rack a) serves ${replicas - before} partitions of 'racks' it does not lead as a read replica`);
    expect(replicas - before).toBe(others.length);
  });
});
