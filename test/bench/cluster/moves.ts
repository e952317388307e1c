// Issue 10 §6, first figure: how long a partition is unavailable for produce when its
// leadership changes, on a real cluster (test/cluster/lib: Redis, MinIO, 2 controllers,
// 3 brokers as processes).
//
// - Graceful move: a probe producer (probe-producer.ts) writes every partition of a topic
//   whose 3 partitions are led one per broker; the benchmark asks the active controller to
//   rotate them (reassignPartitions: 1→2, 2→3, 3→1, so the assignment stays even and the
//   controller's rebalancing leaves it alone) and measures, per partition, from just before
//   the call to the first send the new leader accepted; also when the controller's
//   metadata showed the new leader. Rounds alternate a `local` and an `object` topic.
// - Failover of object-durable partitions: the broker leading one of them is SIGKILLed (its
//   sockets close: the controller suspects it after suspectAfterDisconnect) or frozen with
//   SIGSTOP (its sockets stay open: suspected after suspectAfterSilence); from the fault to
//   the first send a new leader accepted. Then the broker is started again (or resumed) and
//   the cluster settles (it gets partitions back through graceful moves) before the next
//   round. Either is well within the broker lease (6 s), which no longer bounds it.

import { GrpcControllerClient } from '@stratus/controller';
import type { ClusterMetadata } from '@stratus/controller';
import { startCluster } from '../../cluster/lib/cluster.ts';
import type { Cluster } from '../../cluster/lib/cluster.ts';
import { createClusterTopic } from './topics.ts';
import { ProbeProducer } from './probe-producer.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface MoveSample {
  readonly kind: 'graceful' | 'failover';
  readonly durability: 'local' | 'object';
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  /** From the move's start (or the kill) to the first send the new leader accepted; undefined when none within the limit. */
  readonly produceMs: number | undefined;
  /** From the start to the controller's metadata (as the benchmark's watch saw it) showing the new leader. */
  readonly metadataMs: number | undefined;
}

export function controllerEndpoints(cluster: Cluster): string[] {
  return cluster.controllers.map((c) => `127.0.0.1:${c.spec.env['STRATUS_GRPC_PORT']!}`);
}

export function brokerOfPort(cluster: Cluster): (port: number) => number {
  const byPort = new Map(cluster.brokers.map((b) => [b.kafkaPort, b.nodeId]));
  return (port) => byPort.get(port) ?? -1;
}

function leaderOf(m: ClusterMetadata, topic: string, partition: number): number {
  return m.topics.find((t) => t.name === topic)?.partitions.find((p) => p.partition === partition)?.leader ?? -1;
}

/** Resolves with Date.now() when the watched metadata shows `leader` for the partition (undefined after timeoutMs). */
function whenLeader(client: GrpcControllerClient, topic: string, partition: number, leader: (l: number) => boolean, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const check = (m: ClusterMetadata): boolean => {
      if (!leader(leaderOf(m, topic, partition))) return false;
      const at = Date.now();
      stop();
      clearTimeout(timer);
      resolve(at);
      return true;
    };
    const stop = client.watch((m) => void check(m));
    const timer = setTimeout(() => {
      stop();
      resolve(undefined);
    }, timeoutMs);
    check(client.metadata());
  });
}

async function waitSettled(client: GrpcControllerClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await client.describeCluster();
    if (d.moves.length === 0 && d.brokers.every((b) => !b.fenced)) return;
    await sleep(200);
  }
  throw new Error(`the cluster did not settle (moves under way, brokers fenced) within ${timeoutMs} ms`);
}

export async function measureGracefulMoves(o: { rounds: number; env?: Readonly<Record<string, string>>; log: (line: string) => void }): Promise<MoveSample[]> {
  const cluster = await startCluster({ logLevel: 'warn', ...(o.env !== undefined ? { brokerEnv: o.env, controllerEnv: o.env } : {}) });
  const client = await GrpcControllerClient.connect({ target: controllerEndpoints(cluster) });
  const probes: ProbeProducer[] = [];
  const samples: MoveSample[] = [];
  try {
    const topics = { local: 'moves-local', object: 'moves-object' } as const;
    for (const [durability, name] of Object.entries(topics)) await createClusterTopic(cluster.bootstrapList, name, 3, durability as 'local' | 'object');
    for (const name of Object.values(topics)) {
      for (let p = 0; p < 3; p++) probes.push(await ProbeProducer.start({ bootstrap: cluster.bootstrapList, topic: name, partition: p, brokerOfPort: brokerOfPort(cluster) }));
    }
    await sleep(2000);
    for (let round = 0; round < o.rounds; round++) {
      const durability = round % 2 === 0 ? 'local' : 'object';
      const topic = topics[durability];
      await waitSettled(client, 30_000);
      const m = client.metadata();
      const moves = [0, 1, 2].map((p) => {
        const from = leaderOf(m, topic, p);
        return { topic, partition: p, from, leader: (from % 3) + 1 };
      });
      const t0 = Date.now();
      const leaderSeen = moves.map((mv) => whenLeader(client, topic, mv.partition, (l) => l === mv.leader, 30_000));
      const topicId = m.topics.find((t) => t.name === topic)!.topicId;
      const answers = await client.reassignPartitions(moves.map(({ partition, leader }) => ({ topicId, partition, leader })));
      const refused = answers.filter((a) => a.errorCode !== 0);
      if (refused.length > 0) throw new Error(`reassignPartitions refused: ${refused.map((a) => `${topic}/${a.partition}: ${a.errorCode} ${a.errorMessage ?? ''}`).join('; ')}`);
      const acks = await Promise.all(moves.map((mv) => probes.find((p) => p.topic === topic && p.partition === mv.partition)!.firstAckBy(mv.leader, t0, 30_000)));
      const seen = await Promise.all(leaderSeen);
      moves.forEach((mv, i) =>
        samples.push({
          kind: 'graceful',
          durability,
          topic,
          partition: mv.partition,
          from: mv.from,
          to: mv.leader,
          produceMs: acks[i] === undefined ? undefined : acks[i].atMs - t0,
          metadataMs: seen[i] === undefined ? undefined : seen[i] - t0,
        }),
      );
      o.log(`  move round ${round + 1}/${o.rounds} (${durability}): ${moves.map((mv, i) => `p${mv.partition} ${mv.from}→${mv.leader} ${acks[i] === undefined ? 'no produce' : `${acks[i].atMs - t0} ms`}`).join(', ')}`);
      await sleep(500);
    }
  } finally {
    for (const p of probes) await p.stop();
    await client.close();
    await cluster.stop();
  }
  return samples;
}

export type FailoverFault = 'SIGKILL' | 'SIGSTOP';

export async function measureFailovers(o: { rounds: number; fault: FailoverFault; env?: Readonly<Record<string, string>>; log: (line: string) => void }): Promise<MoveSample[]> {
  const cluster = await startCluster({ logLevel: 'warn', ...(o.env !== undefined ? { brokerEnv: o.env, controllerEnv: o.env } : {}) });
  const client = await GrpcControllerClient.connect({ target: controllerEndpoints(cluster) });
  const probes: ProbeProducer[] = [];
  const samples: MoveSample[] = [];
  const topic = 'failover-object';
  try {
    await createClusterTopic(cluster.bootstrapList, topic, 3, 'object');
    for (let p = 0; p < 3; p++) probes.push(await ProbeProducer.start({ bootstrap: cluster.bootstrapList, topic, partition: p, brokerOfPort: brokerOfPort(cluster) }));
    await sleep(2000);
    for (let round = 0; round < o.rounds; round++) {
      await waitSettled(client, 60_000);
      const partition = round % 3;
      const victimId = leaderOf(client.metadata(), topic, partition);
      const victim = cluster.brokers.find((b) => b.nodeId === victimId);
      if (victim === undefined) throw new Error(`partition ${partition} has no leader to kill (${victimId})`);
      const t0 = Date.now();
      const leaderSeen = whenLeader(client, topic, partition, (l) => l !== victimId && l !== -1, 60_000);
      if (o.fault === 'SIGKILL') await victim.signal('SIGKILL');
      else victim.pause();
      // A client's request to a frozen broker hangs until its request timeout (kafkajs then
      // retries on the same broker without refreshing metadata): only the metadata is timed.
      const ack = o.fault === 'SIGKILL' ? await probes[partition]!.firstAckNotBy(victimId, t0, 60_000) : undefined;
      const seen = await leaderSeen;
      samples.push({
        kind: 'failover',
        durability: 'object',
        topic,
        partition,
        from: victimId,
        to: ack?.broker ?? -1,
        produceMs: ack === undefined ? undefined : ack.atMs - t0,
        metadataMs: seen === undefined ? undefined : seen - t0,
      });
      const accepted = o.fault === 'SIGKILL' ? ` → broker ${ack?.broker ?? '?'} accepted produce after ${ack === undefined ? '—' : `${ack.atMs - t0} ms`}` : '';
      o.log(`  failover round ${round + 1}/${o.rounds}: ${o.fault} broker ${victimId} (leader of p${partition})${accepted} (metadata shows a new leader after ${seen === undefined ? '—' : `${seen - t0} ms`})`);
      if (o.fault === 'SIGSTOP') victim.resume();
      else victim.restart();
      await victim.waitReady(60_000);
    }
  } finally {
    for (const p of probes) await p.stop();
    await client.close();
    await cluster.stop();
  }
  return samples;
}
