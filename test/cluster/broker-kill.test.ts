// SIGKILL of a broker under load (issue 10 §5), with Kafka's VerifiableProducer (acks=all,
// enable.idempotence=true) writing all along and kcat reading everything back afterwards:
//  - a `stratus.durability=object` topic: the controller moves the dead broker's partitions
//    as soon as its lease lapses (nothing acknowledged is only in its WAL), the producer
//    retries into the new leaders on its own, and every acknowledged record is in the log
//    once, at the offset it was acknowledged with;
//  - a `local` topic: its partitions wait for their broker, which comes back on the same
//    data directory and replays its WAL; nothing acknowledged is lost, and the producer's
//    retries of batches the dead broker had written but not answered are recognised as
//    duplicates (producer state recovered from the WAL).
// Prints the failover time, the longest stall of the stream and the errors the client retried.

import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { RETRIABLE } from './lib/java-tools.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { describeKill, killBrokerUnderLoad, waitForSpread } from './lib/scenarios.ts';

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster();
  admin = kafkaClient(cluster.bootstrapList, 'broker-kill-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

describe('broker SIGKILL under VerifiableProducer', () => {
  it('object topic: its partitions move at once, nothing acknowledged is lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'kill-object', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    const spread = await waitForSpread(admin, cluster, 'kill-object');
    expect(cluster.brokers.map((b) => spread.filter((l) => l === b.nodeId).length)).toEqual([2, 2, 2]);

    const f = await killBrokerUnderLoad(cluster, admin, 'kill-object', { count: 6000, rate: 500, victim: cluster.brokers[1]! });
    console.log(`object topic: ${describeKill(f)}`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    // The lease (6 s) decides when the partitions move; then they move at once.
    expect(f.failoverMs).toBeLessThan(15_000);

    const back = cluster.brokers[1]!;
    back.restart();
    await back.waitReady(60_000);
  }, 150_000);

  it('local topic: the killed broker comes back with its WAL; nothing acknowledged is lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'kill-local', numPartitions: 6 }], waitForLeaders: true });
    await waitForSpread(admin, cluster, 'kill-local');
    // Down for longer than its lease (6 s): the controller fences it, its local partitions
    // wait (leader -1), and it comes back as a new incarnation that keeps them.
    const f = await killBrokerUnderLoad(cluster, admin, 'kill-local', { count: 8000, rate: 500, restartAfterMs: 8000, victim: cluster.brokers[2]! });
    console.log(`local topic: ${describeKill(f)} (restarted 8 s after the kill)`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    expect(f.longestAckGapMs).toBeGreaterThan(0);
  }, 150_000);
});
