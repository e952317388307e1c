// A broker killed or stopped under load (issue 10 §5), with Kafka's VerifiableProducer
// (acks=all, enable.idempotence=true) writing all along and kcat reading everything back:
//  - SIGKILL, `stratus.durability=object` topic: the controller moves the dead broker's
//    partitions as soon as it suspects it gone — its connection closed — without waiting
//    for its lease (nothing acknowledged is only in its WAL, and epochs fence it), the
//    producer retries into the new leaders on its own, and every acknowledged record is in
//    the log once, at the offset it was acknowledged with;
//  - SIGKILL, `local` topic: its partitions wait for their broker, which comes back on the
//    same data directory and replays its WAL; nothing acknowledged is lost, and the
//    producer's retries of batches the dead broker had written but not answered are
//    recognised as duplicates (producer state recovered from the WAL);
//  - SIGTERM, a local and an object topic: the broker drains itself (graceful hand-overs
//    through the controller) and exits 0; the producers meet only retriable errors (counted
//    by code from the Java client's log), nothing is lost or written twice;
//  - SIGKILL in the middle of that drain (local topic), the broker back on its WAL: some
//    partitions moved, some not, some half-way — nothing acknowledged lost or doubled.
// Prints the failover and hand-over times, the stream's longest stall and the retried errors.

import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { RETRIABLE, longestAckGapMs, readAllWithKcat, retriedErrorsByCode, startVerifiableProducer } from './lib/java-tools.ts';
import { compareRecords, kafkaClient } from './lib/kafka-clients.ts';
import { describeKill, describeRetried, faultUnderLoad, killBrokerUnderLoad, leadersOf, waitFor, waitForSpread } from './lib/scenarios.ts';

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

describe('broker SIGKILL and SIGTERM under VerifiableProducer', () => {
  it('object topic: its partitions move at once, nothing acknowledged is lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'kill-object', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    const spread = await waitForSpread(admin, cluster, 'kill-object');
    expect(cluster.brokers.map((b) => spread.filter((l) => l === b.nodeId).length)).toEqual([2, 2, 2]);

    const victim = cluster.brokers[1]!;
    const f = await killBrokerUnderLoad(cluster, admin, 'kill-object', { count: 6000, rate: 500, victim });
    console.log(`object topic: ${describeKill(f)}`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    // They moved on suspicion (the dead broker's connection closed), not after its 6 s lease.
    const suspected = cluster.controllers.flatMap((c) => c.logLines(/is suspected gone/)).filter((e) => e['broker'] === victim.nodeId);
    expect(suspected.map((e) => e['why'])).toContain('disconnected');
    expect(f.failoverMs).toBeLessThan(15_000);

    victim.restart();
    await victim.waitReady(60_000);
  }, 150_000);

  it('local topic: the killed broker comes back with its WAL; nothing acknowledged is lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'kill-local', numPartitions: 6 }], waitForLeaders: true });
    const before = await waitForSpread(admin, cluster, 'kill-local');
    // Down for longer than its lease (6 s): the controller fences it, its local partitions
    // wait (leader -1, not moved: unclean failover is off), and it comes back as a new
    // incarnation that keeps them.
    const victim = cluster.brokers[2]!;
    const f = await killBrokerUnderLoad(cluster, admin, 'kill-local', { count: 8000, rate: 500, restartAfterMs: 8000, victim });
    console.log(`local topic: ${describeKill(f)} (restarted 8 s after the kill)`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    expect(f.failoverMs).toBeGreaterThanOrEqual(8000);
    const after = await leadersOf(admin, 'kill-local');
    expect(after.filter((l, p) => before[p] === victim.nodeId && l !== victim.nodeId)).toEqual([]);
  }, 150_000);

  it('SIGTERM: graceful hand-over of local and object partitions; only retriable errors, nothing lost or written twice', async () => {
    const topics = ['term-local', 'term-object'];
    await admin.createTopics({
      topics: [
        { topic: 'term-local', numPartitions: 6 },
        { topic: 'term-object', numPartitions: 6, configEntries: [{ name: 'stratus.durability', value: 'object' }] },
      ],
      waitForLeaders: true,
    });
    for (const t of topics) await waitForSpread(admin, cluster, t);
    const leaving = cluster.brokers[0]!;
    const led = (await Promise.all(topics.map((t) => leadersOf(admin, t)))).flat().filter((l) => l === leaving.nodeId).length;
    const producers = topics.map((topic) => startVerifiableProducer({ bootstrap: cluster.bootstrap, topic, maxMessages: 4000, throughput: 400 }));
    await waitFor('a third of the records acknowledged', 60_000, async () => (producers.every((p) => p.acked.length >= 4000 / 3) ? true : undefined));

    const handOversBefore = leaving.logLines(/^handed .* over to broker/).length;
    const termAt = Date.now();
    const exit = await leaving.signal('SIGTERM');
    const stopMs = Date.now() - termAt;
    const results = await Promise.all(producers.map((p) => p.done));
    const handOvers = leaving.logLines(/^handed .* over to broker/).slice(handOversBefore).map((l) => Number(l['durationMs']));
    const drained = leaving.logLines(/^drained:/).at(-1);
    const retried = new Map<string, number>();
    for (const p of producers) for (const [k, n] of retriedErrorsByCode(p.stderr())) retried.set(k, (retried.get(k) ?? 0) + n);
    console.log(
      `${leaving.name} SIGTERM (leading ${led} partitions of these topics): exit ${String(exit.code)} after ${stopMs} ms; ${String(drained?.['msg'])}; ${handOvers.length} hand-overs, longest ${Math.max(...handOvers)} ms; ` +
        `longest stall between acks ${Math.max(...producers.map((p) => longestAckGapMs(p.ackedAtMs)))} ms; acknowledged ${producers.map((p) => p.acked.length).join(' + ')}; ` +
        `the client retried: ${[...retried].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    // It leads partitions of the earlier tests' topics too: every one it led was handed over.
    expect(handOvers.length).toBe(Number(drained?.['partitions']));
    expect(handOvers.length).toBeGreaterThanOrEqual(led);
    for (const t of topics) expect((await leadersOf(admin, t)).filter((l) => l === leaving.nodeId || l < 0)).toEqual([]);
    expect([...retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    for (const [i, p] of producers.entries()) {
      expect(results[i]!.code).toBe(0);
      expect(p.sendErrors).toEqual([]);
      expect(p.acked.length).toBe(4000);
      const consumed = await readAllWithKcat(cluster.bootstrap, topics[i]!);
      expect(compareRecords(p.acked, consumed)).toEqual([]);
      expect(new Set(consumed.map((r) => r.value)).size).toBe(consumed.length);
    }
    leaving.restart();
    await leaving.waitReady(60_000);
  }, 150_000);

  it('SIGKILL in the middle of a SIGTERM drain (local topic), back on its WAL: nothing acknowledged lost or written twice', async () => {
    await admin.createTopics({ topics: [{ topic: 'drain-kill', numPartitions: 6 }], waitForLeaders: true });
    await waitForSpread(admin, cluster, 'drain-kill');
    const victim = cluster.brokers[1]!;
    let exit: unknown;
    const f = await faultUnderLoad(cluster, 'drain-kill', { count: 6000, rate: 600 }, async () => {
      const stopping = victim.signal('SIGTERM');
      await new Promise((r) => setTimeout(r, 60));
      await victim.signal('SIGKILL');
      exit = await stopping;
      await new Promise((r) => setTimeout(r, 2000));
      victim.restart();
      await victim.waitReady(60_000);
    });
    console.log(`${victim.name} SIGTERM then SIGKILL 60 ms later (${JSON.stringify(exit)}), back 2 s later: longest stall between acks ${f.longestAckGapMs} ms; ${f.acked} acknowledged; the client retried: ${describeRetried(f.retried)}`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
  }, 150_000);
});
