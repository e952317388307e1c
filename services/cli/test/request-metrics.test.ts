// The Kafka request metrics (issue 12 §1): latency per API, error codes per API, bytes
// and records in and out per topic read from real record batches' headers, and the label
// limits — topics beyond metrics.maxTopics share topic="_other", error pairs beyond
// maxErrorSeries share code="_other".

import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { CloseConnection, NO_RESPONSE } from '@stratus/broker';
import { ApiKey, buildRecordBatch, ErrorCode } from '@stratus/protocol';
import { forEachErrorCode, recordsIn, requestMetrics } from '../src/metrics/request-metrics.ts';

const header = (apiKey: number) => ({ apiKey, apiVersion: 9, correlationId: 1, clientId: 'test' });
const batch = (records: number, baseOffset = 0) => buildRecordBatch({ baseOffset, records: Array.from({ length: records }, (_, i) => ({ value: `value-${i}`, timestamp: 1 })) });

async function scrape(metrics: ReturnType<typeof requestMetrics>): Promise<Map<string, number>> {
  const registry = new Registry();
  for (const m of metrics.metrics) registry.registerMetric(m);
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const produce = (topics: { name: string; batches: Buffer[] }[]) => ({ acks: -1, timeoutMs: 1000, transactionalId: null, topicData: topics.map((t) => ({ name: t.name, partitionData: t.batches.map((records, index) => ({ index, records })) })) });
const produced = (topics: { name: string; codes: number[] }[]) => ({
  throttleTimeMs: 0,
  responses: topics.map((t) => ({ name: t.name, partitionResponses: t.codes.map((errorCode, index) => ({ index, errorCode, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null })) })),
});

describe('request metrics', () => {
  it('counts appended batches by topic (bytes, records from the header), error codes by API, and latency per API', async () => {
    const m = requestMetrics({ maxTopics: 10, maxErrorSeries: 10 });
    const [a, b, c] = [batch(3), batch(5), batch(7)];
    // Partition 1 of "orders" is refused: its batch is not counted in, its code is.
    m.onRequest(header(ApiKey.Produce), produce([{ name: 'orders', batches: [a, b] }, { name: 'audit', batches: [c] }]), produced([{ name: 'orders', codes: [0, ErrorCode.NOT_LEADER_OR_FOLLOWER] }, { name: 'audit', codes: [0] }]), 4);
    // acks=0: nothing answered, every batch appended.
    m.onRequest(header(ApiKey.Produce), produce([{ name: 'audit', batches: [c] }]), NO_RESPONSE, 1);
    m.onRequest(header(ApiKey.Heartbeat), { groupId: 'g' }, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }, 0.2);
    m.onRequest(header(ApiKey.Heartbeat), { groupId: 'g' }, undefined, 0.2);
    m.onRequest(header(ApiKey.LeaveGroup), { groupId: 'g' }, new CloseConnection('asked to'), 0.2);
    const v = await scrape(m);
    expect(v.get('stratus_topic_bytes_in_total{topic="orders"}')).toBe(a.length);
    expect(v.get('stratus_topic_records_in_total{topic="orders"}')).toBe(3);
    expect(v.get('stratus_topic_bytes_in_total{topic="audit"}')).toBe(2 * c.length);
    expect(v.get('stratus_topic_records_in_total{topic="audit"}')).toBe(14);
    expect(m.traffic).toMatchObject({ bytesIn: a.length + 2 * c.length, recordsIn: 17, bytesOut: 0 });
    expect(v.get('stratus_kafka_request_seconds_count{api="Produce"}')).toBe(2);
    expect(v.get('stratus_kafka_request_seconds_bucket{le="0.005",api="Produce"}')).toBe(2);
    expect(v.get('stratus_kafka_request_seconds_bucket{le="0.001",api="Produce"}')).toBe(1);
    expect(v.get('stratus_kafka_request_seconds_count{api="Heartbeat"}')).toBe(2);
    expect(v.get('stratus_kafka_request_errors_total{api="Produce",code="NOT_LEADER_OR_FOLLOWER"}')).toBe(1);
    expect(v.get('stratus_kafka_request_errors_total{api="Heartbeat",code="REBALANCE_IN_PROGRESS"}')).toBe(1);
    expect(v.get('stratus_kafka_request_errors_total{api="Heartbeat",code="HANDLER_FAILED"}')).toBe(1);
    expect(v.get('stratus_kafka_request_errors_total{api="LeaveGroup",code="CONNECTION_CLOSED"}')).toBe(1);
  });

  it('counts fetched batches by topic, whether a partition carries one buffer or several', async () => {
    const m = requestMetrics({ maxTopics: 10, maxErrorSeries: 10 });
    const two = Buffer.concat([batch(2, 0), batch(4, 2)]);
    const response = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        { topic: 'orders', topicId: 'x', partitions: [{ partitionIndex: 0, errorCode: 0, records: [batch(3), batch(1, 3)] }, { partitionIndex: 1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: [] }] },
        { topic: 'audit', topicId: 'y', partitions: [{ partitionIndex: 0, errorCode: 0, records: two }] },
      ],
    };
    m.onRequest(header(ApiKey.Fetch), {}, response, 500);
    const v = await scrape(m);
    expect(v.get('stratus_topic_records_out_total{topic="orders"}')).toBe(4);
    expect(v.get('stratus_topic_bytes_out_total{topic="orders"}')).toBe(batch(3).length + batch(1, 3).length);
    expect(v.get('stratus_topic_records_out_total{topic="audit"}')).toBe(6);
    expect(v.get('stratus_topic_bytes_out_total{topic="audit"}')).toBe(two.length);
    expect(v.get('stratus_kafka_request_errors_total{api="Fetch",code="OFFSET_OUT_OF_RANGE"}')).toBe(1);
    expect(v.get('stratus_kafka_request_seconds_bucket{le="0.5",api="Fetch"}')).toBe(1);
  });

  it('bounds the labels: topics beyond maxTopics under topic="_other", error pairs beyond maxErrorSeries under code="_other"', async () => {
    const m = requestMetrics({ maxTopics: 2, maxErrorSeries: 1 });
    for (const name of ['t1', 't2', 't3', 't4']) m.onRequest(header(ApiKey.Produce), produce([{ name, batches: [batch(1)] }]), produced([{ name, codes: [0] }]), 1);
    m.onRequest(header(ApiKey.Heartbeat), {}, { errorCode: ErrorCode.REBALANCE_IN_PROGRESS }, 1);
    m.onRequest(header(ApiKey.Heartbeat), {}, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID }, 1);
    m.onRequest(header(ApiKey.Heartbeat), {}, { errorCode: ErrorCode.ILLEGAL_GENERATION }, 1);
    const v = await scrape(m);
    expect(v.get('stratus_topic_records_in_total{topic="t1"}')).toBe(1);
    expect(v.get('stratus_topic_records_in_total{topic="t2"}')).toBe(1);
    expect(v.has('stratus_topic_records_in_total{topic="t3"}')).toBe(false);
    expect(v.get('stratus_topic_records_in_total{topic="_other"}')).toBe(2);
    expect(v.get('stratus_kafka_request_errors_total{api="Heartbeat",code="REBALANCE_IN_PROGRESS"}')).toBe(1);
    expect(v.get('stratus_kafka_request_errors_total{api="Heartbeat",code="_other"}')).toBe(2);
  });

  it('reads record counts from batch headers and error codes from nested answers, not from record bytes', () => {
    expect(recordsIn(Buffer.concat([batch(10), batch(1, 10), batch(0, 11)]))).toBe(11);
    expect(recordsIn(Buffer.alloc(0))).toBe(0);
    const codes: number[] = [];
    forEachErrorCode({ errorCode: 0, topics: [{ errorCode: 3, partitions: [{ errorCode: 0 }, { errorCode: 6, records: [batch(1)] }] }], ids: [1, 2] }, (c) => codes.push(c));
    expect(codes).toEqual([3, 6]);
  });
});
