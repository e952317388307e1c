// Metrics read at scrape time (issue 12 §1): object-store latency by operation and outcome
// from withMetrics' buckets, consumer-group lag within its limits, the cost gauges, the
// controller's view of the brokers, and the uploader's per-object histograms.

import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { ClusterStats, CommittedOffset, TopicInfo } from '@stratus/controller';
import { MemoryObjectStore, ObjectStoreMetrics, withMetrics } from '@stratus/objectstore';
import { createMetrics } from '../src/metrics.ts';
import type { MetricSources } from '../src/metrics.ts';
import { computeGroupLag, groupLagMetrics } from '../src/metrics/group-lag.ts';
import type { GroupLagSources } from '../src/metrics/group-lag.ts';
import { costPerGiB } from '../src/metrics/cost-metrics.ts';
import { S3_STANDARD_PRICES } from '../src/metrics/limits.ts';
import { uploadMetrics } from '../src/metrics/upload-metrics.ts';

const GiB = 1024 ** 3;
const bare = (more: Partial<MetricSources> = {}): MetricSources => ({ objectStore: new ObjectStoreMetrics(), ...more });

function values(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const topic = (name: string, topicId: string, partitions: number): TopicInfo => ({
  name,
  topicId,
  partitions: Array.from({ length: partitions }, (_, partition) => ({ partition, leader: 1, leaderEpoch: 0 })),
  configs: {},
  internal: false,
});

function lagSources(o: { groups: string[]; offsets: Record<string, Record<string, number>>; led: Record<string, number>; committed: Record<string, number> }): GroupLagSources & { fetches: string[] } {
  const topics = new Map([topic('orders', 'T1', 3), topic('audit', 'T2', 1)].map((t) => [t.topicId, t]));
  const fetches: string[] = [];
  return {
    fetches,
    groupIds: () => o.groups,
    fetchOffsets: async (g) => {
      fetches.push(g);
      return new Map(Object.entries(o.offsets[g] ?? {}).map(([k, offset]) => [k, { offset, leaderEpoch: 0, metadata: null, commitTimestampMs: 0 } as unknown as CommittedOffset]));
    },
    topicById: (id) => topics.get(id),
    ledHighWatermark: (tp) => o.led[`${tp.topicId}:${tp.partition}`],
    committedEndOffset: async (tp) => o.committed[`${tp.topicId}:${tp.partition}`] ?? 0,
  };
}

describe('scrape-time metrics', () => {
  it('exports object-store latency as a histogram by operation and outcome', async () => {
    const metrics = new ObjectStoreMetrics();
    const store = withMetrics(new MemoryObjectStore(), metrics);
    await store.put('a', Buffer.from('x'));
    await store.get('a');
    await store.get('missing').catch(() => undefined);
    const v = values(await createMetrics(bare({ objectStore: metrics })).metrics());
    expect(v.get('stratus_object_store_request_seconds_count{operation="put",outcome="ok"}')).toBe(1);
    expect(v.get('stratus_object_store_request_seconds_count{operation="get",outcome="ok"}')).toBe(1);
    expect(v.get('stratus_object_store_request_seconds_count{operation="get",outcome="not_found"}')).toBe(1);
    // Cumulative buckets in seconds, from 1 ms to 30 s, +Inf equal to the count.
    const buckets = [...v].filter(([k]) => k.startsWith('stratus_object_store_request_seconds_bucket{operation="get",outcome="ok"'));
    expect(buckets.map(([k]) => /le="([^"]+)"/.exec(k)![1])).toEqual(['0.001', '0.002', '0.005', '0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1', '2', '5', '10', '30', '+Inf']);
    expect(buckets.map(([, n]) => n)).toEqual([...buckets.map(([, n]) => n)].sort((a, b) => a - b));
    expect(v.get('stratus_object_store_request_seconds_bucket{operation="get",outcome="ok",le="+Inf"}')).toBe(1);
    expect(v.has('stratus_object_store_request_seconds_count{operation="list",outcome="ok"}')).toBe(false);
  });

  it('computes consumer lag against led high watermarks and committed ends, within the group and partition limits', async () => {
    const s = lagSources({
      groups: ['g1', 'g2', 'g3'],
      offsets: { g1: { 'T1:0': 10, 'T1:1': 50, 'T2:0': 7, 'GONE:0': 1 }, g2: { 'T1:0': 100 }, g3: { 'T1:2': 0 } },
      led: { 'T1:0': 100, 'T1:1': 50 },
      committed: { 'T2:0': 9, 'T1:2': 4 },
    });
    const all = await computeGroupLag(s, { maxLagGroups: 10, maxLagPartitions: 100 });
    expect(all.rows).toEqual([
      { group: 'g1', topic: 'orders', partition: 0, lag: 90 },
      { group: 'g1', topic: 'orders', partition: 1, lag: 0 },
      { group: 'g1', topic: 'audit', partition: 0, lag: 2 },
      { group: 'g2', topic: 'orders', partition: 0, lag: 0 },
      { group: 'g3', topic: 'orders', partition: 2, lag: 4 },
    ]);
    expect(all.dropped).toEqual({ groups: 0, partitions: 0 });
    s.fetches.length = 0;
    const bounded = await computeGroupLag(s, { maxLagGroups: 2, maxLagPartitions: 2 });
    expect(s.fetches).toEqual(['g1', 'g2']);
    expect(bounded.rows.map((r) => `${r.group}/${r.topic}/${r.partition}`)).toEqual(['g1/orders/0', 'g1/orders/1']);
    expect(bounded.dropped).toEqual({ groups: 1, partitions: 2 });
  });

  it('exports lag and what the limits dropped, from the same scrape', async () => {
    const s = lagSources({ groups: ['g1', 'g2'], offsets: { g1: { 'T1:0': 10 }, g2: { 'T1:0': 40 } }, led: { 'T1:0': 50 }, committed: {} });
    const v = values(await createMetrics(bare({ lag: () => s, limits: { maxTopics: 10, maxErrorSeries: 10, maxLagGroups: 1, maxLagPartitions: 10 } })).metrics());
    expect(v.get('stratus_consumer_group_lag{group="g1",topic="orders",partition="0"}')).toBe(40);
    expect(v.has('stratus_consumer_group_lag{group="g2",topic="orders",partition="0"}')).toBe(false);
    expect(v.get('stratus_consumer_group_lag_dropped{what="groups"}')).toBe(1);
  });

  it('leaves lag out of a scrape when the controller does not answer in time, and counts it', async () => {
    const s = lagSources({ groups: ['g1'], offsets: { g1: { 'T1:0': 10 } }, led: { 'T1:0': 50 }, committed: {} });
    const stuck: GroupLagSources = { ...s, fetchOffsets: () => new Promise(() => undefined) };
    const registry = new Registry();
    groupLagMetrics(registry, () => stuck, { maxLagGroups: 10, maxLagPartitions: 10 }, 50);
    const started = Date.now();
    const v = values(await registry.metrics());
    expect(Date.now() - started).toBeLessThan(2000);
    expect([...v.keys()].filter((k) => k.startsWith('stratus_consumer_group_lag{'))).toEqual([]);
    expect(v.get('stratus_consumer_group_lag_dropped{what="timed_out"}')).toBe(1);
  });

  it('derives the object-store cost per GiB of traffic at the configured prices', async () => {
    // 2 GiB produced in 256 PUTs of 8 MiB objects, 1 GiB fetched with 4096 GETs.
    const f = costPerGiB({ puts: 256, gets: 4096, bytesWritten: 2 * GiB, bytesRead: GiB }, { bytesIn: 2 * GiB, bytesOut: GiB }, S3_STANDARD_PRICES);
    expect(f.produced).toEqual({ puts: 128, bytes: GiB, dollars: (128 * 0.005) / 1000 });
    expect(f.fetched).toEqual({ gets: 4096, bytes: GiB, dollars: (4096 * 0.0004) / 1000 });
    expect(costPerGiB({ puts: 3, gets: 0, bytesWritten: 10, bytesRead: 0 }, { bytesIn: 0, bytesOut: 0 }, S3_STANDARD_PRICES)).toEqual({});

    const metrics = new ObjectStoreMetrics();
    for (let i = 0; i < 4; i++) metrics.record('put', 'ok', 10, { written: GiB / 4 });
    const traffic = { bytesIn: GiB / 2, recordsIn: 1000, bytesOut: 0, recordsOut: 0 };
    const v = values(await createMetrics(bare({ objectStore: metrics, traffic, prices: { putPer1000: 1, getPer1000: 1, storagePerGbMonth: 1 } })).metrics());
    expect(v.get('stratus_cost_object_store_requests_per_gib{operation="put"}')).toBe(8);
    expect(v.get('stratus_cost_object_store_bytes_per_gib{direction="written"}')).toBe(2 * GiB);
    expect(v.get('stratus_cost_dollars_per_gib{traffic="produced"}')).toBeCloseTo(8 / 1000, 12);
    expect(v.has('stratus_cost_dollars_per_gib{traffic="fetched"}')).toBe(false);
    expect(v.get('stratus_cost_prices_dollars{item="put_per_1000"}')).toBe(1);
  });

  it("exports the active controller's brokers and moves, and nothing on a standby", async () => {
    let stats: ClusterStats | undefined = {
      brokers: 3,
      brokersFencedNow: 1,
      brokersSuspectedNow: 1,
      brokersDraining: 0,
      movesUnderWay: 2,
      brokersFenced: 4,
      movesStarted: 9,
      movesCompleted: 6,
      movesForced: 1,
      movesOnSuspicion: 1,
      brokersSuspected: 2,
      movesCancelled: 0,
      uncleanFailovers: 0,
    };
    const registry = createMetrics(bare({ cluster: () => stats }));
    const v = values(await registry.metrics());
    expect(v.get('stratus_controller_brokers{state="alive"}')).toBe(2);
    expect(v.get('stratus_controller_brokers{state="fenced"}')).toBe(1);
    expect(v.get('stratus_controller_brokers{state="suspected"}')).toBe(1);
    expect(v.get('stratus_controller_partition_moves{what="under_way"}')).toBe(2);
    expect(v.get('stratus_controller_broker_events{event="fenced"}')).toBe(4);
    stats = undefined; // stepped down: a standby holds no cluster state
    expect(await registry.metrics()).not.toMatch(/^stratus_controller_brokers\{/m);
  });

  it('observes each uploaded object: PUT time, PUT to commit, data age and size', async () => {
    const u = uploadMetrics();
    u.onUploaded({ bytes: 3 * 1024 * 1024, entries: 12, putMs: 40, uploadMs: 55, oldestEntryMs: 300 });
    u.onUploaded({ bytes: 100_000, entries: 1, putMs: 20, uploadMs: 30, oldestEntryMs: 40 });
    const v = values(await createMetrics(bare({ early: u.metrics })).metrics());
    expect(v.get('stratus_upload_object_bytes_count')).toBe(2);
    expect(v.get('stratus_upload_object_bytes_sum')).toBe(3 * 1024 * 1024 + 100_000);
    expect(v.get('stratus_upload_put_seconds_bucket{le="0.025"}')).toBe(1);
    expect(v.get('stratus_upload_seconds_bucket{le="0.1"}')).toBe(2);
    expect(v.get('stratus_upload_data_age_seconds_bucket{le="0.25"}')).toBe(1);
  });
});
