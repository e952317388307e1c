// Helpers of the cluster protocol tests: brokers, reading leaders and moves out of the
// metadata, keeping brokers alive on a manual clock, and releasing moves as a leader would.

import type { ManualClock } from '@stratus/runtime';
import type { BrokerInfo, Controller, ControllerApi, TopicInfo } from '../../src/index.ts';

export const LEASE_MS = 6000;
export const MOVE_TIMEOUT_MS = 10_000;

export function broker(nodeId: number, rack: string | null = null): BrokerInfo {
  return { nodeId, host: `b${nodeId}.local`, port: 9092, rack };
}

export function topicOf(c: Pick<ControllerApi, 'metadata'>, name: string): TopicInfo {
  const t = c.metadata().topics.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no topic ${name}`);
  return t;
}

export function leaders(c: Pick<ControllerApi, 'metadata'>, name: string): number[] {
  return topicOf(c, name).partitions.map((p) => p.leader);
}

export function epochs(c: Pick<ControllerApi, 'metadata'>, name: string): number[] {
  return topicOf(c, name).partitions.map((p) => p.leaderEpoch);
}

/** Partitions per leader over the given topics (all when none given). */
export function loads(c: Pick<ControllerApi, 'metadata'>, names?: readonly string[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const t of c.metadata().topics) {
    if (names !== undefined && !names.includes(t.name)) continue;
    for (const p of t.partitions) m.set(p.leader, (m.get(p.leader) ?? 0) + 1);
  }
  return m;
}

export function moving(c: Pick<ControllerApi, 'metadata'>): { topic: string; partition: number; from: number; to: number; leaderEpoch: number; topicId: string }[] {
  return c
    .metadata()
    .topics.flatMap((t) =>
      t.partitions.filter((p) => p.movingTo !== undefined).map((p) => ({ topic: t.name, topicId: t.topicId, partition: p.partition, from: p.leader, to: p.movingTo!, leaderEpoch: p.leaderEpoch })),
    );
}

/** Releases every move under way, as each leader would once it committed its tail. */
export async function releaseAll(c: ControllerApi): Promise<number> {
  const d = await c.describeCluster();
  const epochOf = new Map(d.brokers.map((b) => [b.nodeId, b.brokerEpoch]));
  let n = 0;
  for (const m of moving(c)) {
    const r = await c.releasePartition({ topicId: m.topicId, partition: m.partition }, m.leaderEpoch, epochOf.get(m.from)!);
    if (r.errorCode !== 0) throw new Error(`release of ${m.topic}-${m.partition}: ${r.errorCode} ${r.errorMessage}`);
    n++;
  }
  return n;
}

/** Moves the clock forward in steps of `stepMs`, heartbeating the given brokers (node id → broker epoch) at each step. */
export async function keepAlive(c: Controller, clock: ManualClock, alive: ReadonlyMap<number, number>, ms: number, stepMs = 1000): Promise<void> {
  for (let done = 0; done < ms; ) {
    const step = Math.min(stepMs, ms - done);
    await clock.advance(step);
    done += step;
    for (const [nodeId, epoch] of alive) {
      const r = await c.heartbeat(nodeId, epoch);
      if (r.fenced) throw new Error(`broker ${nodeId} was fenced while kept alive`);
    }
  }
}

/** Runs cluster checks and releases moves until nothing moves any more (a bounded number of rounds). */
export async function settle(c: Controller, rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const s = await c.runClusterCheck();
    const released = await releaseAll(c);
    if (s.movesStarted === 0 && s.leadersChanged === 0 && released === 0 && s.movesDeferred === 0) return;
  }
  throw new Error(`no steady state after ${rounds} rounds`);
}
