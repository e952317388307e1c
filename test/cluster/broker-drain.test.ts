// SIGTERM of a broker under load: it drains itself through the controller, so every
// partition it leads moves to the other brokers gracefully (it stops accepting, uploads
// and commits its tail, releases; clients are told NOT_LEADER_OR_FOLLOWER and retry),
// then it exits 0. An idempotent kafkajs producer writing to every partition meets only
// retriable errors, no send fails, and every acknowledged record is read back once at
// its offset. Started again, the broker undoes its drain and gets partitions back.
// Prints the move time from the broker's log.

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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('broker SIGTERM', () => {
  it("moves the broker's partitions to the others gracefully; the producer sees only retriable errors", async () => {
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'cluster-drain');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'local', numPartitions: 6 },
        { topic: 'object', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] },
      ],
      waitForLeaders: true,
    });
    const leaders = async (topic: string): Promise<number[]> => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
    const leaving = cluster.brokers[1]!;
    expect((await leaders('local')).filter((l) => l === leaving.nodeId).length).toBe(2);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const local = produceLoop(producer, 'local', { partitions: 6, batch: 5, prefix: 'local' });
    const object = produceLoop(producer, 'object', { partitions: 6, batch: 5, prefix: 'object' });
    await sleep(1000);

    const stoppedAt = Date.now();
    const exit = await leaving.signal('SIGTERM');
    const stopMs = Date.now() - stoppedAt;
    await sleep(1000);
    await Promise.all([local.stop(), object.stop()]);
    await producer.disconnect();

    const drained = leaving.logLines(/^drained:/)[0];
    const handOvers = leaving.logLines(/^handed .* over to broker/).map((l) => Number(l['durationMs']));
    console.log(
      `${leaving.name} SIGTERM: exit ${exit.code} after ${stopMs} ms; ${String(drained?.['msg'])}; hand-overs ${handOvers.length}, longest ${Math.max(...handOvers)} ms; ` +
        `acknowledged ${local.acked.length} local and ${object.acked.length} object records; client errors seen: ${[...new Set(errors.map((e) => e.type ?? e.message))].join(', ') || 'none'}`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(drained?.['partitions']).toBe(4);
    expect(handOvers.length).toBe(4);
    for (const topic of ['local', 'object']) {
      const now = await leaders(topic);
      expect(now.filter((l) => l === leaving.nodeId)).toEqual([]);
      expect(now.every((l) => l === 1 || l === 3)).toBe(true);
    }
    expect(local.failures.map(String)).toEqual([]);
    expect(object.failures.map(String)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);

    const readers = cluster.bootstrapList.filter((_, i) => i !== 1);
    const { kafka: reader } = kafkaClient(readers, 'cluster-drain-reader');
    for (const [topic, loop] of [['local', local], ['object', object]] as const) {
      const consumed = await consumeUntil(reader, topic, new Set(loop.acked.map((r) => r.value)), { groupId: `drain-${topic}` });
      expect(compareRecords(loop.acked, consumed)).toEqual([]);
    }

    // Back: the broker undoes its drain, and the rebalance gives it partitions again.
    leaving.restart();
    await leaving.waitReady();
    const deadline = Date.now() + 15_000;
    let led = 0;
    while (Date.now() < deadline) {
      led = (await leaders('local')).filter((l) => l === leaving.nodeId).length + (await leaders('object')).filter((l) => l === leaving.nodeId).length;
      if (led === 4) break;
      await sleep(200);
    }
    await admin.disconnect();
    expect(led).toBe(4);
  });
});
