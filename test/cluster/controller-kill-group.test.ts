// SIGKILL of the active controller while a consumer group works (issue 10 §5): a kafkajs
// producer writes all along, one group member consumes and commits, and right after the
// kill — while the standby is still waiting for the dead one's election lease to lapse — a
// second member joins. The standby takes over (time printed), the rebalance completes with
// the 6 partitions split between the two members (each once), every acknowledged record is
// consumed, and the group's committed offsets reach the end of every partition (offset
// commits are metadata: they need the new controller).

import type { Admin, Consumer, Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { kafkaClient, produceLoop } from './lib/kafka-clients.ts';
import { waitFor } from './lib/scenarios.ts';

const TOPIC = 'ctl-group';
const GROUP = 'ctl-group-members';
const PARTITIONS = 6;

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster();
  admin = kafkaClient(cluster.bootstrapList, 'ctl-group-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Member {
  readonly consumer: Consumer;
  /** The partitions of the member's latest assignment. */
  assigned: number[];
  /** When (Date.now()) the latest assignment came. */
  joinedAt: number;
}

async function join(kafka: Kafka, seen: Set<string>): Promise<Member> {
  const consumer = kafka.consumer({ groupId: GROUP, maxWaitTimeInMs: 300, heartbeatInterval: 1000 });
  const member: Member = { consumer, assigned: [], joinedAt: 0 };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    member.assigned = [...(e.payload.memberAssignment[TOPIC] ?? [])].sort((a, b) => a - b);
    member.joinedAt = Date.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 300, eachMessage: async ({ message }) => void seen.add(message.value?.toString() ?? '') });
  return member;
}

describe('active controller SIGKILL during a group rebalance', () => {
  it('the standby takes over; a member joining meanwhile gets its share, and consumption and commits go on', async () => {
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'ctl-group');
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, TOPIC, { partitions: PARTITIONS, batch: 5, pauseMs: 20 });
    const seen = new Set<string>();
    const members: Member[] = [];
    try {
      members.push(await join(kafka, seen));
      await waitFor('member 1 to own all partitions', 60_000, async () => (members[0]!.assigned.length === PARTITIONS ? true : undefined));
      await sleep(1000);

      const active = (await cluster.activeController())!;
      const standby = cluster.controllers.find((c) => c !== active)!;
      const killedAt = Date.now();
      await active.signal('SIGKILL');
      members.push(await join(kafka, seen));
      const takeoverMs = await waitFor(`${standby.name} active`, 20_000, async () => ((await standby.metric('stratus_controller_role', 'role="active"')) === 1 ? Date.now() - killedAt : undefined));
      const rebalanced = await waitFor('the rebalance to give both members a share', 60_000, async () => {
        const [a, b] = members.map((m) => m.assigned);
        return a!.length > 0 && b!.length > 0 && a!.length + b!.length === PARTITIONS ? Math.max(...members.map((m) => m.joinedAt)) - killedAt : undefined;
      });
      const { groups } = await admin.describeGroups([GROUP]);
      console.log(
        `active controller ${active.name} SIGKILLed: ${standby.name} active after ${takeoverMs} ms; member 2 (joined right after the kill) assigned ${JSON.stringify(members[1]!.assigned)}, member 1 ${JSON.stringify(members[0]!.assigned)}, ${rebalanced} ms after the kill; group ${groups[0]?.state} with ${groups[0]?.members.length} members`,
      );
      expect([...members[0]!.assigned, ...members[1]!.assigned].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(groups[0]?.members.length).toBe(2);

      await sleep(1500);
      await loop.stop();
      expect(loop.failures.map(String)).toEqual([]);
      const ends = new Map<number, number>();
      for (const r of loop.acked) ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, r.offset + 1));
      await waitFor('every acknowledged record consumed', 60_000, async () => (loop.acked.every((r) => seen.has(r.value)) ? true : undefined));
      await waitFor('the committed offsets at every partition end', 30_000, async () => {
        const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
        return t!.partitions.every((p) => Number(p.offset) === (ends.get(p.partition) ?? 0)) ? true : undefined;
      });
      console.log(`${loop.acked.length} records acknowledged and consumed; committed offsets at the ends ${JSON.stringify(Object.fromEntries(ends))}`);
      // REBALANCE_IN_PROGRESS is how a coordinator tells members to rejoin (kafkajs logs it as a non-retriable error and rejoins).
      expect(errors.filter((e) => !e.retriable && e.type !== 'REBALANCE_IN_PROGRESS')).toEqual([]);
    } finally {
      await loop.stop();
      await producer.disconnect();
      await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => undefined)));
    }
  }, 180_000);
});
