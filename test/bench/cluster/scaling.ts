// Issue 10 §6, third figure: produce throughput of a cluster of 3 brokers against one of 1
// on this machine, and the CPU seconds per GiB produced of every process (brokers,
// controllers, Redis, MinIO, and the rest: the client JVM and the benchmark). Each cluster
// is started fresh (Redis, MinIO, 2 controllers, N brokers), a 6-partition topic created,
// and Kafka's ProducerPerformance sends unthrottled with the settings of the single-node
// benchmark's W1, bootstrapped to every broker. On a machine with few cores every process
// competes for the same CPUs: the figure says what a broker costs, not how a cluster of
// machines scales.

import { startCluster } from '../../cluster/lib/cluster.ts';
import type { KafkaTools, ProducerSummary } from '../lib/kafka-tools.ts';
import { Sampler } from '../lib/proc.ts';
import { ClusterCpu } from './cluster-cpu.ts';
import { createClusterTopic } from './topics.ts';

export const SCALING_PRODUCER_PROPS: Readonly<Record<string, string>> = { acks: 'all', 'linger.ms': '5', 'batch.size': '65536' };

export interface ScalingResult {
  readonly brokers: number;
  readonly durability: 'local' | 'object';
  readonly records: number;
  readonly total: ProducerSummary | undefined;
  readonly seconds: number;
  /** CPU seconds per process during the run (until the brokers' uploads drained). */
  readonly cpuSeconds: Readonly<Record<string, number>>;
  readonly gib: number;
  readonly error?: string;
}

async function drained(cluster: Awaited<ReturnType<typeof startCluster>>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pending = await Promise.all(cluster.brokers.map((b) => b.metric('stratus_storage_pending_bytes')));
    if (pending.every((p) => p === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function measureScaling(o: { tools: KafkaTools; brokerCounts: readonly number[]; durability: 'local' | 'object'; records: number; log: (line: string) => void }): Promise<ScalingResult[]> {
  const out: ScalingResult[] = [];
  for (const brokers of o.brokerCounts) {
    const cluster = await startCluster({ brokers, logLevel: 'warn' });
    const gib = (o.records * 1024) / 1024 ** 3;
    try {
      const topic = `scaling-${o.durability}`;
      await createClusterTopic(cluster.bootstrapList, topic, 6, o.durability);
      const cpu = new ClusterCpu(cluster);
      const before = cpu.snapshot();
      const t0 = performance.now();
      // The client JVM's CPU (kafka-run.sh execs java, so the pid spawned is the JVM's).
      const client = new Sampler(process.pid);
      const r = await o.tools.producerPerformance(
        { bootstrap: cluster.bootstrap, topic, records: o.records, recordSize: 1024, throughput: -1, props: SCALING_PRODUCER_PROPS },
        { timeoutMs: 60_000 + o.records * 2, onSpawn: (pid) => client.setClientPid(pid) },
      );
      const { clientCpuSeconds } = await client.stop();
      await drained(cluster, 60_000);
      const seconds = (performance.now() - t0) / 1000;
      const used = ClusterCpu.between(before, cpu.snapshot(), { 'client JVM (ProducerPerformance)': clientCpuSeconds });
      out.push({ brokers, durability: o.durability, records: o.records, total: r.total, seconds, cpuSeconds: used, gib });
      o.log(`  ${brokers} broker(s), ${o.durability}: ${r.total.mbPerSec} MB/s, ${r.total.recordsPerSec} rec/s, p99 ${r.total.p99Ms} ms; CPU s/GiB ${Object.entries(used).map(([k, v]) => `${k} ${(v / gib).toFixed(1)}`).join(', ')}`);
    } catch (e) {
      out.push({ brokers, durability: o.durability, records: o.records, total: undefined, seconds: 0, cpuSeconds: {}, gib, error: (e as Error).message.slice(0, 500) });
      o.log(`  ${brokers} broker(s): FAILED ${(e as Error).message.slice(0, 300)}`);
    } finally {
      await cluster.stop();
    }
  }
  return out;
}
