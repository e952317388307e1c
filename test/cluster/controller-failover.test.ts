// SIGKILL of the active controller under load: the standby wins the election lease
// (Redis expires the dead one's lease; defaults lease 3 s + retry 1 s) and serves; the
// brokers' clients follow its redirect. An idempotent kafkajs producer writing to every
// partition all along loses nothing and sends nothing twice, a topic created after the
// takeover works, and the killed controller, started again, comes back as a standby.
// Prints the takeover time (kill → the standby's /metrics say active).

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

describe('controller failover', () => {
  it('a standby takes over within ~5 s of a SIGKILL of the active controller; produce and consume continue', async () => {
    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'cluster-failover');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'before', numPartitions: 6 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'before', { partitions: 6, batch: 5, pauseMs: 20 });
    await sleep(1000);

    const active = await cluster.activeController();
    expect(active).toBeDefined();
    const standby = cluster.controllers.find((c) => c !== active)!;
    const killedAt = Date.now();
    await active!.signal('SIGKILL');
    let takeoverMs = -1;
    while (Date.now() - killedAt < 15_000) {
      if ((await standby.metric('stratus_controller_role', 'role="active"')) === 1) {
        takeoverMs = Date.now() - killedAt;
        break;
      }
      await sleep(50);
    }
    const ackedAtTakeover = loop.acked.length;
    console.log(`controller takeover: ${standby.name} active ${takeoverMs} ms after SIGKILL of ${active!.name} (lease 3 s, retry 1 s)`);
    expect(takeoverMs).toBeGreaterThan(0);
    expect(takeoverMs).toBeLessThan(6000);

    // Needs the controller: a new topic, written and read.
    await admin.createTopics({ topics: [{ topic: 'after', numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const after = produceLoop(producer, 'after', { partitions: 3, batch: 5, prefix: 'after' });
    await sleep(1500);
    await Promise.all([loop.stop(), after.stop()]);
    await producer.disconnect();
    console.log(`acknowledged ${ackedAtTakeover} records before the takeover, ${loop.acked.length - ackedAtTakeover} after; ${after.acked.length} to a topic created after it`);
    expect(loop.failures.map(String)).toEqual([]);
    expect(after.failures.map(String)).toEqual([]);
    expect(loop.acked.length).toBeGreaterThan(ackedAtTakeover);

    const consumed = await consumeUntil(kafka, 'before', new Set(loop.acked.map((r) => r.value)), { groupId: 'failover-readers' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    const consumedAfter = await consumeUntil(kafka, 'after', new Set(after.acked.map((r) => r.value)), { groupId: 'failover-readers' });
    expect(compareRecords(after.acked, consumedAfter)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
    for (const b of cluster.brokers) expect(await b.ready()).toBe(true);
    // Every broker follows the new controller: none fenced itself, each points at it and holds the same, latest metadata.
    const clientStats = await Promise.all(
      cluster.brokers.map(async (b) => ({
        fenced: await b.metric('stratus_broker_fenced'),
        redirects: await b.metric('stratus_controller_client', 'what="redirects"'),
        rotations: await b.metric('stratus_controller_client', 'what="rotations"'),
        version: await b.metric('stratus_controller_client', 'what="metadata_version"'),
      })),
    );
    console.log(`brokers' controller clients after the takeover: ${JSON.stringify(clientStats)}`);
    for (const c of clientStats) expect(c.fenced).toBe(0);
    expect(new Set(clientStats.map((c) => c.version)).size).toBe(1);
    for (const c of clientStats) expect((c.redirects ?? 0) + (c.rotations ?? 0)).toBeGreaterThan(0);

    // The killed controller, started again, is a standby (the other keeps the lease).
    active!.restart();
    await active!.waitReady();
    expect(await active!.metric('stratus_controller_role', 'role="standby"')).toBe(1);
    expect(await cluster.activeController()).toBe(standby);
  });
});
