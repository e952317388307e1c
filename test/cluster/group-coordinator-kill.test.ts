// A consumer group of 3 kafkajs members, each bootstrapped to a different broker, loses its
// coordinator broker (SIGKILL) (issue 10 §5): once the controller fences the dead broker,
// FindCoordinator hashes the group over the live brokers and the members re-form the group
// there; the offsets committed before the kill are all still there (OffsetFetch before and
// after, equal), and consumption continues with no record skipped (every offset of every
// partition read, every acknowledged record seen). The topic is `stratus.durability=object`,
// so the partitions the dead broker led move too and the group can read all of them.
// Prints the time until the group is stable again on its new coordinator.

import type { Admin, Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { findCoordinator } from './lib/coordinator.ts';
import { kafkaClient, produceLoop } from './lib/kafka-clients.ts';
import type { ProducedRecord } from './lib/kafka-clients.ts';
import { waitFor, waitForSpread } from './lib/scenarios.ts';

const TOPIC = 'coordinated';
const GROUP = 'three-members';
const PARTITIONS = 6;

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster();
  admin = kafkaClient(cluster.bootstrapList, 'coordinator-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function committed(): Promise<Record<number, string>> {
  const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  return Object.fromEntries(t!.partitions.map((p) => [p.partition, p.offset]));
}

describe('group coordinator SIGKILL', () => {
  it('the group re-forms on a live coordinator, no committed offset is lost, no record is skipped', async () => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    await waitForSpread(admin, cluster, TOPIC);
    const before = await findCoordinator(cluster.bootstrapList[0]!, GROUP);
    expect(before.errorCode).toBe(0);
    const coordinator = cluster.brokers.find((b) => b.nodeId === before.nodeId)!;

    // Members: one bootstrapped to each broker.
    const consumed: ProducedRecord[] = [];
    const consumers: Consumer[] = [];
    for (const [i, address] of cluster.bootstrapList.entries()) {
      const { kafka } = kafkaClient([address], `member-${i + 1}`);
      const c = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 300, sessionTimeout: 30_000, heartbeatInterval: 1000 });
      await c.connect();
      await c.subscribe({ topic: TOPIC, fromBeginning: true });
      await c.run({
        autoCommitInterval: 300,
        eachMessage: async ({ partition, message }) => {
          consumed.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
        },
      });
      consumers.push(c);
    }
    const stable = async (): Promise<true | undefined> => {
      const { groups } = await admin.describeGroups([GROUP]);
      return groups[0]?.state === 'Stable' && groups[0].members.length === 3 ? true : undefined;
    };
    try {
      await waitFor('a stable group of 3', 60_000, stable);

      const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'coordinator-producer');
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      let loop = produceLoop(producer, TOPIC, { partitions: PARTITIONS, batch: 10, pauseMs: 20, prefix: 'before' });
      await sleep(2000);
      await loop.stop();
      const acked = [...loop.acked];
      // Everything read and committed: then the committed offsets are the partitions' ends.
      const ends: Record<number, string> = {};
      for (const r of acked) ends[r.partition] = String(Math.max(Number(ends[r.partition] ?? 0), r.offset + 1));
      const offsetsBefore = await waitFor('the group to commit every acknowledged record', 30_000, async () => {
        const c = await committed();
        return JSON.stringify(c) === JSON.stringify(ends) ? c : undefined;
      });

      const killedAt = Date.now();
      await coordinator.signal('SIGKILL');
      const live = cluster.bootstrapList.filter((_, i) => cluster.brokers[i] !== coordinator);
      const after = await waitFor('a live coordinator for the group', 30_000, async () => {
        const c = await findCoordinator(live[0]!, GROUP);
        return c.errorCode === 0 && c.nodeId !== coordinator.nodeId ? c : undefined;
      });
      const newCoordinatorMs = Date.now() - killedAt;
      await waitFor('the group stable again with 3 members', 60_000, stable);
      const reformedMs = Date.now() - killedAt;
      const offsetsAfter = await committed();
      console.log(
        `coordinator broker ${coordinator.nodeId} SIGKILLed: FindCoordinator names broker ${after.nodeId} after ${newCoordinatorMs} ms, ` +
          `group of 3 stable again after ${reformedMs} ms; committed offsets before ${JSON.stringify(offsetsBefore)}, after ${JSON.stringify(offsetsAfter)}`,
      );
      expect(offsetsAfter).toEqual(offsetsBefore);

      // Consumption continues on the re-formed group.
      loop = produceLoop(producer, TOPIC, { partitions: PARTITIONS, batch: 10, pauseMs: 20, prefix: 'after' });
      await sleep(2000);
      await loop.stop();
      await producer.disconnect();
      acked.push(...loop.acked);
      expect(loop.failures.map(String)).toEqual([]);
      const all = new Set(acked.map((r) => r.value));
      await waitFor(`all ${all.size} acknowledged records consumed`, 60_000, async () => {
        const seen = new Set(consumed.map((r) => r.value));
        for (const v of all) if (!seen.has(v)) return undefined;
        return true;
      });
      // No record skipped: every offset below each partition's end was delivered to a member.
      for (let p = 0; p < PARTITIONS; p++) {
        const end = Math.max(0, ...acked.filter((r) => r.partition === p).map((r) => r.offset + 1));
        const offsets = new Set(consumed.filter((r) => r.partition === p).map((r) => r.offset));
        const missing = Array.from({ length: end }, (_, o) => o).filter((o) => !offsets.has(o));
        expect(missing, `partition ${p}: offsets never consumed`).toEqual([]);
      }
      const redelivered = consumed.length - new Set(consumed.map((r) => `${r.partition}:${r.offset}`)).size;
      console.log(`consumed ${consumed.length} records for ${all.size} acknowledged (${redelivered} delivered again after the rebalance); producer errors retried: ${[...new Set(errors.map((e) => e.type ?? e.message))].join(', ') || 'none'}`);
      expect(errors.filter((e) => !e.retriable)).toEqual([]);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    }
  }, 180_000);
});
