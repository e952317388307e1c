// SIGTERM of a broker under load: it drains itself through the controller, so every
// partition it leads moves to the other brokers gracefully (it stops accepting, uploads
// and commits its tail, releases; clients are told NOT_LEADER_OR_FOLLOWER and retry),
// then it exits 0. An idempotent kafkajs producer writing to every partition meets only
// retriable errors, no send fails, and every acknowledged record is read back once at
// its offset. Started again, the broker undoes its drain and gets partitions back.
// Prints the move time from the broker's log.
//
// An operator's drain (a decommission, through the controller's gRPC API) is another
// matter: the broker, stopped and started again meanwhile, stays drained and leads
// nothing until the operator undoes the drain.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcControllerClient } from '@stratus/controller';
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

  it("keeps an operator's drain through the broker's restart; the operator's undrain gives it partitions back", async () => {
    const { kafka } = kafkaClient(cluster.bootstrapList, 'cluster-operator-drain');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'decommission', numPartitions: 6 }], waitForLeaders: true });
    const ledBy = async (nodeId: number): Promise<number> => {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['decommission'] });
      return topics.flatMap((t) => t.partitions).filter((p) => p.leader === nodeId).length;
    };
    const waitLed = async (nodeId: number, want: (n: number) => boolean, ms: number): Promise<number> => {
      const deadline = Date.now() + ms;
      let n = await ledBy(nodeId);
      while (!want(n) && Date.now() < deadline) {
        await sleep(200);
        n = await ledBy(nodeId);
      }
      return n;
    };
    const broker2 = cluster.brokers[1]!;
    expect(await waitLed(broker2.nodeId, (n) => n > 0, 15_000)).toBeGreaterThan(0);

    const endpoints = cluster.controllers.map((c) => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']}`);
    const operator = await GrpcControllerClient.connect({ target: endpoints });
    try {
      const state = async () => (await operator.describeCluster()).brokers.find((b) => b.nodeId === broker2.nodeId)!;
      // The operator decommissions broker 2 (no reason given: an operator's drain).
      expect(await operator.drainBroker(broker2.nodeId, true)).toMatchObject({ errorCode: 0, draining: true, drainReason: 'operator' });
      expect(await waitLed(broker2.nodeId, (n) => n === 0, 20_000)).toBe(0);

      // Its pod restarts meanwhile: SIGTERM (its own drain finds nothing to move) and a new start.
      expect(await broker2.signal('SIGTERM')).toEqual({ code: 0, signal: null });
      broker2.restart();
      await broker2.waitReady(); // drained, it still serves: /readyz does not fail for a drain
      const stays = broker2.logLines(/stays drained: an operator drained it/);
      expect(stays.length).toBe(1);
      expect(await state()).toMatchObject({ fenced: false, draining: true, drainReason: 'operator', leaderOf: 0 });
      // Rebalances run with broker 2 live and registered: still nothing for it.
      await sleep(3000);
      expect(await ledBy(broker2.nodeId)).toBe(0);
      expect(await state()).toMatchObject({ draining: true, drainReason: 'operator', leaderOf: 0 });

      // The operator undoes it: the rebalance gives broker 2 partitions again.
      expect(await operator.drainBroker(broker2.nodeId, false)).toMatchObject({ errorCode: 0, draining: false, drainReason: null });
      expect(await waitLed(broker2.nodeId, (n) => n > 0, 20_000)).toBeGreaterThan(0);
      expect(await state()).toMatchObject({ draining: false, drainReason: null });
    } finally {
      await operator.close();
      await admin.disconnect();
    }
  });
});
