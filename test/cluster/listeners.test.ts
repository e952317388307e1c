// Two Kafka listeners on every broker of a real cluster (kafka.listeners, KIP-103):
// PLAINTEXT at 127.0.0.1:<port> and EXTERNAL at another port advertised as localhost. A
// client bootstrapped to one listener is told only that listener's addresses — by
// Metadata (kcat -L, kafkajs), DescribeCluster and FindCoordinator — and producing to
// every partition and consuming it back works through the EXTERNAL listener alone.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { findCoordinator } from './lib/coordinator.ts';
import { compareRecords, consumeUntil, kafkaClient, produceLoop } from './lib/kafka-clients.ts';

const run = promisify(execFile);
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ secondListener: { name: 'EXTERNAL', advertisedHost: 'localhost' } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** The brokers `kcat -L` lists when bootstrapped at `bootstrap`: "nodeId host:port". */
async function kcatBrokers(bootstrap: string): Promise<string[]> {
  const { stdout } = await run('kcat', ['-L', '-b', bootstrap, '-m', '10'], { timeout: 20_000 });
  return [...stdout.matchAll(/broker (\d+) at (\S+)/g)].map((m) => `${m[1]} ${m[2]}`).sort();
}

describe('a cluster whose brokers have two listeners', () => {
  it('tells a client the addresses of the listener it connected through (Metadata, DescribeCluster)', async () => {
    const external = cluster.bootstrapOn('EXTERNAL');
    const plaintext = cluster.bootstrapOn('PLAINTEXT');
    expect(external.every((a) => a.startsWith('localhost:'))).toBe(true);
    const expected = (addresses: string[]) => cluster.brokers.map((b, i) => `${b.nodeId} ${addresses[i]}`).sort();
    for (const b of cluster.brokers) {
      expect(await kcatBrokers(b.listeners[1]!.advertised)).toEqual(expected(external));
      expect(await kcatBrokers(b.listeners[0]!.advertised)).toEqual(expected(plaintext));
    }
    const { kafka } = kafkaClient([external[1]!], 'listeners-describe');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeCluster();
      expect(described.brokers.map((b) => `${b.nodeId} ${b.host}:${b.port}`).sort()).toEqual(expected(external));
    } finally {
      await admin.disconnect();
    }
  });

  it('produces to every partition and consumes them back through the second listener', async () => {
    const { kafka, errors } = kafkaClient([cluster.bootstrapOn('EXTERNAL')[0]!], 'listeners-external');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'outside', numPartitions: 6 }], waitForLeaders: true });
      const md = await admin.fetchTopicMetadata({ topics: ['outside'] });
      expect(new Set(md.topics[0]!.partitions.map((p) => p.leader))).toEqual(new Set(cluster.brokers.map((b) => b.nodeId)));
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const loop = produceLoop(producer, 'outside', { partitions: 6, batch: 10 });
    await new Promise((r) => setTimeout(r, 1000));
    await loop.stop();
    await producer.disconnect();
    expect(loop.failures).toEqual([]);
    expect(new Set(loop.acked.map((r) => r.partition)).size).toBe(6);
    const consumed = await consumeUntil(kafka, 'outside', new Set(loop.acked.map((r) => r.value)), { groupId: 'outside-readers' });
    expect(compareRecords(loop.acked, consumed)).toEqual([]);
    expect(errors.filter((e) => !e.retriable)).toEqual([]);
  });

  it('FindCoordinator answers the coordinator at its address on the request\'s listener', async () => {
    const [viaExternal, viaPlaintext] = await Promise.all([findCoordinator(`127.0.0.1:${cluster.brokers[0]!.listeners[1]!.port}`, 'outside-readers'), findCoordinator(cluster.bootstrapOn('PLAINTEXT')[0]!, 'outside-readers')]);
    expect(viaExternal.errorCode).toBe(0);
    expect(viaPlaintext.nodeId).toBe(viaExternal.nodeId);
    const coordinator = cluster.brokers.find((b) => b.nodeId === viaExternal.nodeId)!;
    expect(`${viaExternal.host}:${viaExternal.port}`).toBe(coordinator.listeners[1]!.advertised);
    expect(`${viaPlaintext.host}:${viaPlaintext.port}`).toBe(coordinator.listeners[0]!.advertised);
  });
});
