// `stratus admin` as an operator runs it: the real command as a process against a real
// cluster (2 controllers, 3 brokers). What it prints is checked against the cluster
// itself — the processes startCluster() started and the metadata Kafka clients get —
// not against admin's own word: the brokers, racks and ports, the active controller
// (found through a standby's redirect), a drain that leaves broker 2 leading nothing,
// undrain, a reassignment that moves a leader, per-item errors (exit 1) and an
// unreachable controller (exit 2).

import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/stratus-process.ts';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';
import { kafkaClient } from './lib/kafka-clients.ts';
import { adminJson as json, stratusAdmin } from './lib/admin-cli.ts';

const TOPIC = 'admin-moves';

let cluster: Cluster;
let admin: Admin;
/** The controllers' gRPC addresses, standby first once the active one is known. */
let endpoints: string[];
let activeAddress: string;

const leaders = async (): Promise<Map<number, number>> =>
  new Map((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics[0]!.partitions.map((p) => [p.partitionId, p.leader]));

beforeAll(async () => {
  cluster = await startCluster();
  const active = await cluster.activeController();
  const address = (c: (typeof cluster.controllers)[number]): string => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']}`;
  activeAddress = address(active!);
  endpoints = [...cluster.controllers.filter((c) => c !== active).map(address), activeAddress];
  admin = kafkaClient(cluster.bootstrapList, 'admin-test').kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 6 }], waitForLeaders: true });
}, 60_000);

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, 60_000);

interface ClusterJson {
  clusterId: string;
  metadataVersion: number;
  controller: { active: string; endpoints: string[] };
  topics: number;
  partitions: number;
  brokers: { id: number; rack: string | null; endpoints: { listener: string | null; host: string; port: number }[]; epoch: number; fenced: boolean; suspected: boolean; draining: boolean; partitionsLed: number; leaseExpiresAtMs: number }[];
  moves: unknown[];
}

describe('stratus admin', () => {
  it('cluster --json: the brokers the cluster runs, and the active controller found through a standby', async () => {
    // The standby is named first: admin follows its redirect, as a broker does. Endpoints from the broker's variable.
    const run = await stratusAdmin(['cluster', '--json'], { STRATUS_CONTROLLER_ENDPOINTS: endpoints.join(',') });
    expect(run.code, run.stderr).toBe(0);
    const c = json<ClusterJson>(run);
    expect(c.controller).toEqual({ active: activeAddress, endpoints });
    expect(c.metadataVersion).toBeGreaterThan(0);
    expect(c.brokers.map((b) => ({ id: b.id, rack: b.rack, ports: b.endpoints.map((e) => `${e.host}:${e.port}`) }))).toEqual(
      cluster.brokers.map((b) => ({ id: b.nodeId, rack: b.rack, ports: [`127.0.0.1:${b.kafkaPort}`] })),
    );
    expect(c.brokers.every((b) => !b.fenced && !b.draining && b.epoch > 0 && b.leaseExpiresAtMs > Date.now() - 10_000)).toBe(true);
    const led = [...(await leaders()).values()];
    for (const b of c.brokers) expect(b.partitionsLed).toBeGreaterThanOrEqual(led.filter((l) => l === b.id).length);
    expect(c.partitions).toBeGreaterThanOrEqual(6);

    const text = await stratusAdmin(['cluster', '--controller', endpoints.join(',')]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`active controller: ${activeAddress}`);
    expect(text.stdout).toMatch(/^ID\s+RACK\s+STATE/m);
  });

  it('partitions reassign --wait moves a leader; an unknown topic is a per-item error (exit 1)', async () => {
    const before = await leaders();
    const [partition, from] = [...before].find(([, leader]) => leader !== 3)!;
    const run = await stratusAdmin(['partitions', 'reassign', '--topic', TOPIC, '--partition', String(partition), '--to', '3', '--wait', '--timeout', '20s', '--json', '--controller', endpoints.join(',')]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ partitions: { partition: number; from: number; to: number; error: unknown }[]; wait: { done: boolean } }>(run);
    expect(doc.partitions).toEqual([{ topic: TOPIC, partition, from, to: 3, error: null }]);
    expect(doc.wait.done).toBe(true);
    expect((await leaders()).get(partition)).toBe(3);

    const unknown = await stratusAdmin(['partitions', 'reassign', '--topic', 'no-such-topic', '--partition', '0', '--to', '1', '--json', '--controller', endpoints.join(',')]);
    expect(unknown.code).toBe(1);
    expect(json<{ partitions: { error: { name: string } }[] }>(unknown).partitions[0]!.error.name).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(unknown.stderr).toContain('no-such-topic/0: UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('brokers drain 2 --wait leaves broker 2 leading nothing; undrain lets it lead again', async () => {
    expect([...(await leaders()).values()]).toContain(2);
    const run = await stratusAdmin(['brokers', 'drain', '2', '--wait', '--timeout', '30s', '--json', '--controller', endpoints.join(',')]);
    expect(run.code, run.stderr).toBe(0);
    const doc = json<{ broker: number; draining: boolean; partitionsToMove: number; error: unknown; wait: { done: boolean; partitionsLed: number } }>(run);
    expect(doc).toMatchObject({ broker: 2, draining: true, error: null, wait: { done: true, partitionsLed: 0 } });
    expect(doc.partitionsToMove).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/broker 2 leads \d+ partitions?/);
    // What Kafka clients are told, not admin's word.
    expect([...(await leaders()).values()]).not.toContain(2);

    const listed = json<{ brokers: { id: number; draining: boolean; partitionsLed: number }[] }>(await stratusAdmin(['brokers', 'list', '--json', '--controller', endpoints.join(',')]));
    expect(listed.brokers.find((b) => b.id === 2)).toMatchObject({ draining: true, partitionsLed: 0 });

    const undrain = await stratusAdmin(['brokers', 'undrain', '2', '--json', '--controller', endpoints.join(',')]);
    expect(undrain.code, undrain.stderr).toBe(0);
    expect(json(undrain)).toEqual({ broker: 2, draining: false, error: null });
    // Not draining: broker 2 can be given a partition again.
    const [partition] = [...(await leaders())].find(([, leader]) => leader !== 2)!;
    const back = await stratusAdmin(['partitions', 'reassign', '--topic', TOPIC, '--partition', String(partition), '--to', '2', '--wait', '--timeout', '20s', '--controller', endpoints.join(',')]);
    expect(back.code, back.stderr).toBe(0);
    expect((await leaders()).get(partition)).toBe(2);
  });

  it('an unknown broker is a per-item error (exit 1); no controller is exit 2', async () => {
    const [unknown, unreachable, none] = await Promise.all([
      stratusAdmin(['brokers', 'drain', '99', '--json', '--controller', endpoints.join(',')]),
      freePort().then((port) => stratusAdmin(['cluster', '--controller', `127.0.0.1:${port}`], { STRATUS_CONTROLLER_CONNECT_TIMEOUT: '1s' })),
      stratusAdmin(['cluster']),
    ]);
    expect(unknown.code).toBe(1);
    expect(json<{ error: { name: string } }>(unknown).error.name).toBe('BROKER_NOT_AVAILABLE');
    expect(unknown.stderr).toContain('broker 99 could not be drained: BROKER_NOT_AVAILABLE');
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/no controller answered at 127\.0\.0\.1:\d+ within 1000 ms/);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('STRATUS_CONTROLLER_ENDPOINTS');
    expect(none.stderr).toContain('`stratus dev` runs its controller inside the process');
  });
});
