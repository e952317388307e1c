// The cluster's metadata store under failure (issue 10 §5), with real processes:
//  - Redis SIGKILLed and started again on its AOF (appendfsync always): topics, their
//    configs, partition counts, committed group offsets and the partition index (every
//    record read back with kcat) are the same before and after, and the cluster serves again;
//  - Redis down for 8 s, longer than the brokers' 6 s lease, under Kafka's VerifiableProducer
//    on a `local` topic: the brokers fence themselves (NOT_LEADER_OR_FOLLOWER, retried), lead
//    again once a controller is back, and every acknowledged record is in the log once;
//  - Redis partitioned away from the active controller only (each controller reaches Redis
//    through its own TcpProxy): it steps down, the standby takes over with a larger epoch, and
//    no two controllers are ever active with the same epoch or at the same time (their logs'
//    activation and step-down entries, their /metrics sampled all along, and the store's
//    epoch key); producing goes on, and after the partition heals the cut-off controller is
//    a standby and the cluster creates, writes and reads a new topic.
// Prints the times measured.

import type { Admin } from 'kafkajs';
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { readAllWithKcat } from './lib/java-tools.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from './lib/kafka-clients.ts';
import { controllerRole, fencingViolations, roleHistory } from './lib/controller-roles.ts';
import { describeRetried, faultUnderLoad, waitFor, waitForSpread } from './lib/scenarios.ts';
import { RETRIABLE } from './lib/java-tools.ts';

let cluster: Cluster;
let admin: Admin;

beforeAll(async () => {
  cluster = await startCluster({ redisProxyPerController: true });
  admin = kafkaClient(cluster.bootstrapList, 'redis-failures-admin').kafka.admin();
  await admin.connect();
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 90_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TOPICS = ['meta-local', 'meta-object'];

/** What the metadata holds, through Kafka's API: topics, partitions, configs set, committed offsets, and every record. */
async function metadataView(group: string): Promise<Record<string, unknown>> {
  const names = (await admin.listTopics()).filter((t) => TOPICS.includes(t)).sort();
  const md = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({ includeSynonyms: false, resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })) });
  const records: Record<string, string[]> = {};
  for (const t of names) records[t] = (await readAllWithKcat(cluster.bootstrap, t)).map((r) => `${r.partition}:${r.offset}=${r.value}`).sort();
  const offsets = await admin.fetchOffsets({ groupId: group, topics: names });
  return {
    topics: md.topics.map((t) => ({ name: t.name, partitions: t.partitions.length })).sort((a, b) => a.name.localeCompare(b.name)),
    configs: configs.resources.map((r) => ({ name: r.resourceName, set: r.configEntries.filter((e) => !e.isDefault).map((e) => `${e.configName}=${e.configValue}`).sort() })).sort((a, b) => a.name.localeCompare(b.name)),
    offsets: offsets.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => `${p.partition}:${p.offset}`).sort() })).sort((a, b) => a.topic.localeCompare(b.topic)),
    records,
  };
}

describe('Redis failures', () => {
  it('Redis SIGKILLed and restarted on its AOF: no metadata lost', async () => {
    const { kafka } = kafkaClient(cluster.bootstrapList, 'redis-restart');
    await admin.createTopics({
      topics: [
        { topic: 'meta-local', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] },
        { topic: 'meta-object', numPartitions: 2, configEntries: [{ name: 'stratus.durability', value: 'object' }] },
      ],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loops = [produceLoop(producer, 'meta-local', { partitions: 3, batch: 10, prefix: 'l' }), produceLoop(producer, 'meta-object', { partitions: 2, batch: 10, prefix: 'o' })];
    await sleep(1500);
    await Promise.all(loops.map((l) => l.stop()));
    for (const [i, t] of TOPICS.entries()) await consumeUntil(kafka, t, new Set(loops[i]!.acked.map((r) => r.value)), { groupId: 'meta-readers' });
    const before = await metadataView('meta-readers');

    const epochBefore = (await (await cluster.activeController())?.metric('stratus_controller_epoch')) ?? 0;
    const killedAt = Date.now();
    await cluster.redis.kill();
    await sleep(1000);
    await cluster.redis.restart();
    const restartedMs = Date.now() - killedAt;
    const after = await waitFor('the metadata readable again', 30_000, async () => metadataView('meta-readers'));
    const readableMs = Date.now() - killedAt;
    await Promise.all(cluster.brokers.map((b) => b.waitReady(30_000)));
    const active = await waitFor('an active controller', 30_000, async () => cluster.activeController());
    const epochAfter = (await active.metric('stratus_controller_epoch')) ?? 0;
    console.log(
      `Redis SIGKILL: restarted on its AOF ${restartedMs} ms after the kill, the metadata read back in full ${readableMs} ms after it; active controller epoch ${epochBefore} before, ${epochAfter} (${active.name}) after; ` +
        `${Object.values(before['records'] as Record<string, string[]>).flat().length} records and the group's offsets ${JSON.stringify(before['offsets'])} compared`,
    );
    expect(after).toEqual(before);
    expect(epochAfter).toBeGreaterThanOrEqual(epochBefore);
    expect(fencingViolations(roleHistory(cluster.controllers))).toEqual([]);
    expect((before['offsets'] as { partitions: string[] }[]).flatMap((t) => t.partitions).every((p) => !p.endsWith(':-1'))).toBe(true);

    // And it serves: more records, acknowledged and read back.
    const more = produceLoop(producer, 'meta-object', { partitions: 2, batch: 10, prefix: 'o2' });
    await sleep(1000);
    await more.stop();
    await producer.disconnect();
    expect(more.failures.map(String)).toEqual([]);
    const all = [...loops[1]!.acked, ...more.acked];
    expect(compareRecords(all, await readAllWithKcat(cluster.bootstrap, 'meta-object'))).toEqual([]);
  }, 120_000);

  it("Redis down longer than the brokers' lease under VerifiableProducer (local topic): nothing acknowledged lost or written twice", async () => {
    await admin.createTopics({ topics: [{ topic: 'redis-down', numPartitions: 6 }], waitForLeaders: true });
    await waitForSpread(admin, cluster, 'redis-down');
    let activeAgainMs = -1;
    const f = await faultUnderLoad(cluster, 'redis-down', { count: 6000, rate: 600 }, async () => {
      const killedAt = Date.now();
      await cluster.redis.kill();
      await sleep(8000);
      await cluster.redis.restart();
      await waitFor('an active controller', 30_000, async () => cluster.activeController());
      await Promise.all(cluster.brokers.map((b) => b.waitReady(30_000)));
      activeAgainMs = Date.now() - killedAt;
    });
    console.log(`Redis down 8 s under load: controller active and brokers ready ${activeAgainMs} ms after the kill; longest stall between acks ${f.longestAckGapMs} ms; ${f.acked} acknowledged; the client retried: ${describeRetried(f.retried)}`);
    expect(f.problems).toEqual([]);
    expect([...f.retried.keys()].filter((k) => !RETRIABLE.has(k))).toEqual([]);
    expect(fencingViolations(roleHistory(cluster.controllers))).toEqual([]);
  }, 120_000);

  it('Redis partitioned away from the active controller: it steps down, the standby takes over with a larger epoch, never two active', async () => {
    const cutOff = await waitFor('an active controller', 30_000, async () => cluster.activeController());
    const index = cluster.controllers.indexOf(cutOff);
    const other = cluster.controllers.find((c) => c !== cutOff)!;
    const epochBefore = (await cutOff.metric('stratus_controller_epoch')) ?? 0;

    const { kafka, errors } = kafkaClient(cluster.bootstrapList, 'redis-partition');
    await admin.createTopics({ topics: [{ topic: 'partitioned', numPartitions: 3, configEntries: [{ name: 'stratus.durability', value: 'object' }] }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'partitioned', { partitions: 3, batch: 5, pauseMs: 20 });
    await sleep(500);

    // Sample both controllers' roles every 50 ms through the partition.
    const bothActive: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [a, b] = await Promise.all([controllerRole(cutOff), controllerRole(other)]);
        if (a === 'active' && b === 'active') bothActive.push(Date.now());
        await sleep(50);
      }
    })();

    const cutAt = Date.now();
    cluster.redisProxies[index]!.takeDown();
    const steppedDownMs = await waitFor(`${cutOff.name} to step down`, 20_000, async () => ((await controllerRole(cutOff)) !== 'active' ? Date.now() - cutAt : undefined));
    const takeoverMs = await waitFor(`${other.name} to become active`, 20_000, async () => ((await controllerRole(other)) === 'active' ? Date.now() - cutAt : undefined));
    const epochAfter = (await other.metric('stratus_controller_epoch')) ?? 0;
    await sleep(1500); // produce on under the new controller, still partitioned
    cluster.redisProxies[index]!.bringUp();
    const healedAt = Date.now();
    await waitFor(`${cutOff.name} a standby again`, 20_000, async () => ((await cutOff.metric('stratus_controller_role', 'role="standby"')) === 1 ? true : undefined));
    const standbyMs = Date.now() - healedAt;
    sampling = false;
    await sampler;

    const storeEpoch = Number(await cluster.redis.cliRaw('GET', 'stratus:controller:epoch'));
    const history = roleHistory(cluster.controllers);
    console.log(
      `Redis cut from ${cutOff.name} (epoch ${epochBefore}): it stepped down ${steppedDownMs} ms later, ${other.name} active with epoch ${epochAfter} ${takeoverMs} ms after the cut; ` +
        `healed: ${cutOff.name} a standby ${standbyMs} ms later; the store's epoch key ${storeEpoch}; samples with both active: ${bothActive.length}; ` +
        `role history: ${history.map((e) => `${e.controller} ${e.what} ${Number.isNaN(e.epoch) ? '' : `e${e.epoch}`}`).join(', ')}`,
    );
    expect(epochAfter).toBeGreaterThan(epochBefore);
    expect(storeEpoch).toBe(epochAfter);
    expect(bothActive).toEqual([]);
    expect(fencingViolations(history)).toEqual([]);
    expect(await cluster.activeController()).toBe(other);

    // The cluster goes on: the stream did, and a new topic is created, written and read.
    await admin.createTopics({ topics: [{ topic: 'after-partition', numPartitions: 2 }], waitForLeaders: true });
    const after = produceLoop(producer, 'after-partition', { partitions: 2, batch: 5, prefix: 'after' });
    await sleep(1000);
    await Promise.all([loop.stop(), after.stop()]);
    await producer.disconnect();
    expect(loop.failures.map(String)).toEqual([]);
    expect(after.failures.map(String)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
    expect(compareRecords(loop.acked, await readAllWithKcat(cluster.bootstrap, 'partitioned'))).toEqual([]);
    expect(compareRecords(after.acked, await readAllWithKcat(cluster.bootstrap, 'after-partition'))).toEqual([]);
  }, 120_000);
});
