// Issue 10 §6, second figure: produce latency of an object-durable topic (acks=all answered
// only once the batch is in an uploaded, committed object) with an object store that answers
// like S3 rather than like loopback MinIO: the cluster's brokers and controllers reach MinIO
// through S3LatencyProxy, which holds every PUT's answer for a latency drawn uniformly from
// [minMs, maxMs] with a seeded generator. Kafka's ProducerPerformance at a fixed rate, after
// a warm-up, gives the percentiles; the same run without the proxy is the baseline.

import { startCluster } from '../../cluster/lib/cluster.ts';
import { S3LatencyProxy } from '../../support/s3-latency-proxy.ts';
import type { KafkaTools, ProducerSummary } from '../lib/kafka-tools.ts';
import { createClusterTopic } from './topics.ts';

export interface LatencyCase {
  readonly label: string;
  /** PUT latency bounds (ms), or undefined for MinIO directly. */
  readonly putLatencyMs: readonly [number, number] | undefined;
  /** Extra STRATUS_* settings of the brokers. */
  readonly brokerEnv: Readonly<Record<string, string>>;
}

export interface LatencyResult {
  readonly label: string;
  readonly putLatencyMs: readonly [number, number] | undefined;
  readonly brokerEnv: Readonly<Record<string, string>>;
  readonly rate: number;
  readonly steady: ProducerSummary | undefined;
  readonly puts: number;
  readonly meanDrawnMs: number | undefined;
  readonly error?: string;
}

export const LATENCY_PRODUCER_PROPS: Readonly<Record<string, string>> = { acks: 'all', 'linger.ms': '5', 'batch.size': '65536' };
export const LATENCY_SEED = 6;

export async function measureProduceLatency(o: {
  tools: KafkaTools;
  cases: readonly LatencyCase[];
  rate: number;
  warmupS: number;
  durationS: number;
  log: (line: string) => void;
}): Promise<LatencyResult[]> {
  const out: LatencyResult[] = [];
  for (const c of o.cases) {
    let proxy: S3LatencyProxy | undefined;
    const range = c.putLatencyMs;
    const cluster = await startCluster({
      logLevel: 'warn',
      brokerEnv: c.brokerEnv,
      ...(range !== undefined
        ? { objectStoreFront: async (port: number) => (proxy = await S3LatencyProxy.start({ targetPort: port, minMs: range[0], maxMs: range[1], seed: LATENCY_SEED })) }
        : {}),
    });
    try {
      const topic = 'latency-object';
      await createClusterTopic(cluster.bootstrapList, topic, 6, 'object');
      const drawnBefore = proxy?.drawnMs.length ?? 0;
      const r = await o.tools.producerPerformance(
        {
          bootstrap: cluster.bootstrap,
          topic,
          records: o.rate * (o.warmupS + o.durationS),
          warmupRecords: o.rate * o.warmupS,
          recordSize: 1024,
          throughput: o.rate,
          props: LATENCY_PRODUCER_PROPS,
        },
        { timeoutMs: 60_000 + (o.warmupS + o.durationS) * 3000 },
      );
      const drawn = proxy?.drawnMs.slice(drawnBefore) ?? [];
      out.push({
        label: c.label,
        putLatencyMs: range,
        brokerEnv: c.brokerEnv,
        rate: o.rate,
        steady: r.steady ?? r.total,
        puts: drawn.length,
        meanDrawnMs: drawn.length === 0 ? undefined : Math.round(drawn.reduce((a, b) => a + b, 0) / drawn.length),
      });
      const s = r.steady ?? r.total;
      o.log(`  ${c.label}: p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms, p99.9 ${s.p999Ms} ms, max ${s.maxMs} ms at ${s.recordsPerSec} rec/s (${drawn.length} PUTs through the proxy)`);
    } catch (e) {
      out.push({ label: c.label, putLatencyMs: range, brokerEnv: c.brokerEnv, rate: o.rate, steady: undefined, puts: 0, meanDrawnMs: undefined, error: (e as Error).message.slice(0, 500) });
      o.log(`  ${c.label}: FAILED ${(e as Error).message.slice(0, 300)}`);
    } finally {
      await cluster.stop();
    }
  }
  return out;
}
