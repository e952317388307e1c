// The cluster on fake-gcs-server (gs:// object store) instead of MinIO (issue 10 §5):
// produce and consume across the 3 brokers, then a broker SIGKILLed under Kafka's
// VerifiableProducer on a `stratus.durability=object` topic — the same scenario as
// broker-signals.test.ts on S3 — with nothing acknowledged lost or written twice.

import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { RETRIABLE } from './lib/java-tools.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from './lib/kafka-clients.ts';
import { describeKill, killBrokerUnderLoad, waitForSpread } from './lib/scenarios.ts';

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster({ objectStore: 'gcs' });
  admin = kafkaClient(cluster.bootstrapList, 'gcs-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

describe('a cluster on fake-gcs-server', () => {
  it('produces to 6 partitions over 3 brokers and reads back exactly what was acknowledged', async () => {
    expect(cluster.objectStore.url).toMatch(/^gs:\/\//);
    await admin.createTopics({ topics: [{ topic: 'gcs-spread', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    const leaders = await waitForSpread(admin, cluster, 'gcs-spread');
    expect(cluster.brokers.map((b) => leaders.filter((l) => l === b.nodeId).length)).toEqual([2, 2, 2]);
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'gcs-produce');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'gcs-spread', { partitions: 6, batch: 20 });
    await new Promise((r) => setTimeout(r, 1500));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures.map(String)).toEqual([]);
    const consumed = await consumeUntil(kafka, 'gcs-spread', new Set(loop.acked.map((r) => r.value)), { groupId: 'gcs-readers' });
    console.log(`gcs: ${loop.acked.length} records acknowledged on 6 object partitions, all read back`);
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
  });

  it('SIGKILL of a broker under VerifiableProducer (object topic): nothing acknowledged lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'gcs-kill', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    await waitForSpread(admin, cluster, 'gcs-kill');
    const f = await killBrokerUnderLoad(cluster, admin, 'gcs-kill', { count: 5000, rate: 500, victim: cluster.brokers[2]! });
    console.log(`gcs, object topic: ${describeKill(f)}`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    expect(f.failoverMs).toBeLessThan(15_000);
  }, 150_000);
});
