// SIGKILL of the active controller while a consumer group works (issue 10 §5): a kafkajs
// producer writes all along, one group member consumes and commits, and right after the
// kill — while the standby is still waiting for the dead one's election lease to lapse — a
// second member joins. The standby takes over (time printed), the rebalance completes with
// the 6 partitions split between the two members (each once), every acknowledged record is
// consumed, and the group's committed offsets reach the end of every partition (offset
// commits are metadata: they need the new controller).
// Second: a broker's SIGTERM drain with the active controller SIGKILLed as its hand-overs begin, while
// the broker leads partitions it never opened (no record written to them): the moves the
// dead controller started reach the broker, whose hand-overs must open those partitions
// (their bounds come from the controller) across the failover. The drain ends within a few
// seconds of the takeover (it took ~23 s when such an open was given up at the first
// failure: the partitions then waited for the move timeout, twice for a local topic).

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

  it("a broker's SIGTERM drain with the active controller SIGKILLed meanwhile completes soon after the takeover", async () => {
    await admin.createTopics({
      topics: [
        { topic: 'never-written-local', numPartitions: 12 },
        { topic: 'never-written-object', numPartitions: 12, configEntries: [{ name: 'stratus.durability', value: 'object' }] },
      ],
      waitForLeaders: true,
    });
    // The first test killed a controller: both run again (the killed one as a standby).
    const dead = cluster.controllers.find((c) => !c.alive);
    if (dead !== undefined) {
      dead.restart();
      await dead.waitReady();
    }
    const leaving = cluster.brokers[2]!;
    const active = (await cluster.activeController())!;
    const termAt = Date.now();
    const handingBefore = leaving.logLines(/^handing /).length;
    const stopping = leaving.signal('SIGTERM');
    // Killed as the hand-overs begin: the broker opens the partitions it never opened then.
    const deadline = Date.now() + 5000;
    while (leaving.logLines(/^handing /).length === handingBefore && Date.now() < deadline) await sleep(1);
    const killedAfterMs = Date.now() - termAt;
    await active.signal('SIGKILL');
    const exit = await stopping;
    const stopMs = Date.now() - termAt;
    const drained = leaving.logLines(/^drained:/).at(-1);
    const failed = leaving.logLines(/^hand-over of .* failed/).filter((l) => Number(l['time']) >= termAt);
    console.log(`${leaving.name} SIGTERM with ${active.name} SIGKILLed as its hand-overs began (${killedAfterMs} ms after it): exit ${String(exit.code)} after ${stopMs} ms; ${String(drained?.['msg'])}; hand-overs given up: ${failed.length}`);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(failed.map((l) => l['msg'])).toEqual([]);
    // A takeover (~2.5-3 s) and the hand-overs; a hand-over given up would wait for the 10 s move timeout.
    expect(Number(drained?.['ms'])).toBeLessThan(8000);
    active.restart();
    leaving.restart();
    await Promise.all([active.waitReady(), leaving.waitReady()]);
  }, 120_000);
});
