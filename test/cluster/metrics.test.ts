// Issue 12 §1 and §7 in a cluster of real processes (Redis, MinIO, 2 controllers, 3
// brokers on free ports): under a kafkajs produce/consume load each broker's /metrics counts
// the records of the partitions it leads (together exactly what was produced) and its
// requests per API; the group's coordinator — one broker — reports the group's lag over
// gRPC-fetched offsets, for partitions other brokers lead too, and that lag appears when the
// group falls behind and returns to 0; the active controller reports 3 brokers alive and its
// metadata commits, the standby none of that.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { consumeRecords, produceRecords } from '../support/kafka-load.ts';
import { scrapeMetrics, seriesOf, sumSeries, until } from '../support/metrics-text.ts';

const TOPIC = 'metered';
const PARTITIONS = 3;
const GROUP = 'metered-group';
const FIRST = 90;
const BEHIND = 30;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const scrapeBrokers = (): Promise<Map<string, number>[]> => Promise.all(cluster.brokers.map((b) => scrapeMetrics(`http://127.0.0.1:${b.spec.httpPort}/metrics`)));
const lagSum = async (): Promise<number> => (await scrapeBrokers()).reduce((n, m) => n + sumSeries(m, 'stratus_consumer_group_lag', { group: GROUP, topic: TOPIC }), 0);

describe('metrics in a cluster', () => {
  it('brokers count what they serve, the coordinator reports lag, the active controller its brokers', async () => {
    const { kafka } = kafkaClient(cluster.bootstrapList, 'cluster-metrics');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const before = await scrapeBrokers();
    await produceRecords(kafka, TOPIC, 0, FIRST);
    await consumeRecords(kafka, TOPIC, GROUP, FIRST);
    const after = await scrapeBrokers();

    // Each broker counts the batches appended to the partitions it leads: together, exactly what was produced.
    expect(after.reduce((n, m) => n + sumSeries(m, 'stratus_topic_records_in_total', { topic: TOPIC }), 0)).toBe(FIRST);
    expect(after.reduce((n, m) => n + sumSeries(m, 'stratus_topic_records_out_total', { topic: TOPIC }), 0)).toBeGreaterThanOrEqual(FIRST);
    expect(after.reduce((n, m) => n + sumSeries(m, 'stratus_partitions_led'), 0)).toBe(PARTITIONS);
    const produceCount = (ms: Map<string, number>[]) => ms.reduce((n, m) => n + sumSeries(m, 'stratus_kafka_request_seconds_count', { api: 'Produce' }), 0);
    expect(produceCount(after) - produceCount(before)).toBeGreaterThanOrEqual(FIRST / 20);
    // The group's offsets were committed to its coordinator: one broker.
    const coordinators = after.filter((m) => sumSeries(m, 'stratus_kafka_request_seconds_count', { api: 'OffsetCommit' }) > 0);
    expect(coordinators).toHaveLength(1);

    // Lag: reported by the coordinator alone, for every partition, 0 once everything was consumed.
    await until('lag 0 after the first consumption', async () => (await lagSum()) === 0 && (await scrapeBrokers()).some((m) => seriesOf(m, 'stratus_consumer_group_lag', { group: GROUP }).length === PARTITIONS));
    expect((await scrapeBrokers()).filter((m) => seriesOf(m, 'stratus_consumer_group_lag', { group: GROUP }).length > 0)).toHaveLength(1);
    // Behind by what was produced meanwhile (the ends of partitions led elsewhere are their committed ends: polled).
    await produceRecords(kafka, TOPIC, FIRST, BEHIND);
    await until(`lag ${BEHIND}`, async () => (await lagSum()) === BEHIND);
    await consumeRecords(kafka, TOPIC, GROUP, BEHIND);
    await until('lag 0 after catching up', async () => (await lagSum()) === 0);

    // The active controller: 3 brokers alive, none fenced, metadata commits made; the standby holds none of that.
    const active = await cluster.activeController();
    expect(active).toBeDefined();
    const standby = cluster.controllers.find((c) => c !== active)!;
    const [a, s] = await Promise.all([active!, standby].map((c) => scrapeMetrics(`http://127.0.0.1:${c.spec.httpPort}/metrics`)));
    expect(a!.get('stratus_controller_brokers{state="alive"}')).toBe(3);
    expect(a!.get('stratus_controller_brokers{state="fenced"}')).toBe(0);
    expect(a!.get('stratus_controller_metadata_commits')).toBeGreaterThan(0);
    expect(sumSeries(a!, 'stratus_controller_rpc_seconds_count')).toBeGreaterThan(0);
    expect(a!.get('stratus_cost_storage_dollars_per_month')).toBeGreaterThan(0);
    expect(seriesOf(s!, 'stratus_controller_brokers')).toEqual([]);
    expect(s!.get('stratus_controller_role{role="standby"}')).toBe(1);
  }, 180_000);
});
