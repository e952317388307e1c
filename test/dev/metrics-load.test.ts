// Issue 12 §1 and §7: the metrics move under a real produce/consume load. A real `stratus
// dev` process on free ports, kafkajs producing and consuming through it, /metrics scraped
// before and after: request counts and latency per API, bytes and records in and out per
// topic (exactly what was produced), error codes, WAL append latency, uploads, object-store
// latency by outcome, partitions led, the cost gauges, event-loop delay, the controller's
// brokers — and a consumer group's lag, which appears when the group falls behind and
// returns to 0 once it has caught up.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { StratusProcess } from '../support/stratus-process.ts';
import { scrapeMetrics, seriesOf, sumSeries, until } from '../support/metrics-text.ts';
import { consumeRecords, produceRecords } from '../support/kafka-load.ts';

const TOPIC = 'metrics-load';
const PARTITIONS = 2;
const GROUP = 'metrics-group';
const FIRST = 200;
const BEHIND = 50;

let dev: StratusProcess;
let kafka: Kafka;

beforeAll(async () => {
  dev = await StratusProcess.start();
  kafka = new Kafka({ clientId: 'metrics-load', brokers: [dev.bootstrap], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
}, 60_000);

afterAll(async () => {
  await dev?.stop();
  dev?.removeData();
});

const scrape = (): Promise<Map<string, number>> => scrapeMetrics(`http://127.0.0.1:${dev.httpPort}/metrics`);
const get = (m: Map<string, number>, series: string): number => m.get(series) ?? 0;
const sum = sumSeries;

describe('metrics under a produce/consume load (stratus dev)', () => {
  it('move with the right labels, and a lagging group shows its lag until it catches up', async () => {
    const before = await scrape();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    // A second create answers TOPIC_ALREADY_EXISTS: an error code the metrics count.
    expect(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] })).toBe(false);

    await produceRecords(kafka, TOPIC, 0, FIRST);
    await consumeRecords(kafka, TOPIC, GROUP, FIRST);
    // Uploads run behind the acknowledgements: wait for one (dev: file:// store, upload.maxDelay).
    await until('an upload', async () => get(await scrape(), 'stratus_upload_object_bytes_count') > get(before, 'stratus_upload_object_bytes_count'));
    const after = await scrape();

    // Requests by API: count (the rate) and latency histogram; kafkajs sent these.
    for (const api of ['Produce', 'Fetch', 'Metadata', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'CreateTopics']) {
      expect(get(after, `stratus_kafka_request_seconds_count{api="${api}"}`), api).toBeGreaterThan(get(before, `stratus_kafka_request_seconds_count{api="${api}"}`));
    }
    expect(get(after, 'stratus_kafka_request_seconds_count{api="Produce"}')).toBeGreaterThanOrEqual(FIRST / 20);
    expect(get(after, 'stratus_kafka_request_seconds_bucket{le="+Inf",api="Produce"}')).toBe(get(after, 'stratus_kafka_request_seconds_count{api="Produce"}'));
    expect(get(after, 'stratus_kafka_request_errors_total{api="CreateTopics",code="TOPIC_ALREADY_EXISTS"}')).toBe(1);

    // Per topic, from the batch headers: exactly the records produced, and at least those consumed.
    expect(get(after, `stratus_topic_records_in_total{topic="${TOPIC}"}`)).toBe(FIRST);
    const bytesIn = get(after, `stratus_topic_bytes_in_total{topic="${TOPIC}"}`);
    expect(bytesIn).toBeGreaterThan(FIRST * 'value-0'.length);
    expect(get(after, `stratus_topic_records_out_total{topic="${TOPIC}"}`)).toBeGreaterThanOrEqual(FIRST);
    expect(get(after, `stratus_topic_bytes_out_total{topic="${TOPIC}"}`)).toBeGreaterThanOrEqual(bytesIn);

    // WAL: each group commit observed; its backlog is back to empty.
    expect(get(after, 'stratus_wal_append_seconds_count')).toBeGreaterThan(get(before, 'stratus_wal_append_seconds_count'));
    expect(get(after, 'stratus_wal_backlog{what="appends"}')).toBe(0);
    // Uploads: PUT and PUT-to-commit timed, object sizes observed; the object store's PUTs timed by outcome.
    expect(get(after, 'stratus_upload_seconds_count')).toBe(get(after, 'stratus_upload_object_bytes_count'));
    expect(get(after, 'stratus_upload_put_seconds_count')).toBeGreaterThan(get(before, 'stratus_upload_put_seconds_count'));
    expect(get(after, 'stratus_object_store_request_seconds_count{operation="put",outcome="ok"}')).toBeGreaterThan(get(before, 'stratus_object_store_request_seconds_count{operation="put",outcome="ok"}'));

    // Partitions led, the controller's brokers, the cost gauges, the event loop and the process.
    expect(get(after, 'stratus_partitions_led')).toBe(PARTITIONS);
    expect(get(after, 'stratus_controller_brokers{state="alive"}')).toBe(1);
    expect(get(after, 'stratus_controller_brokers{state="fenced"}')).toBe(0);
    expect(get(after, 'stratus_cost_object_store_requests_per_gib{operation="put"}')).toBeGreaterThan(0);
    expect(get(after, 'stratus_cost_dollars_per_gib{traffic="produced"}')).toBeGreaterThan(0);
    expect(get(after, 'stratus_cost_prices_dollars{item="put_per_1000"}')).toBe(0.005);
    expect(after.has('nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(get(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // The group has consumed everything: its lag is 0 on every partition it committed.
    await until('lag 0 after the first consumption', async () => sum(await scrape(), 'stratus_consumer_group_lag', { group: GROUP }) === 0);
    expect(sum(await scrape(), 'stratus_consumer_group_lag', { group: GROUP, topic: TOPIC })).toBe(0);
    expect(seriesOf(await scrape(), 'stratus_consumer_group_lag', { group: GROUP })).toHaveLength(PARTITIONS);

    // Produced to while nobody consumes: the group is behind by exactly that much.
    await produceRecords(kafka, TOPIC, FIRST, BEHIND);
    const behind = await scrape();
    expect(sum(behind, 'stratus_consumer_group_lag', { group: GROUP, topic: TOPIC })).toBe(BEHIND);
    expect(get(behind, `stratus_topic_records_in_total{topic="${TOPIC}"}`)).toBe(FIRST + BEHIND);

    // It catches up: back to 0.
    await consumeRecords(kafka, TOPIC, GROUP, BEHIND);
    await until('lag 0 after catching up', async () => sum(await scrape(), 'stratus_consumer_group_lag', { group: GROUP, topic: TOPIC }) === 0);
    await admin.disconnect();
  }, 120_000);
});
