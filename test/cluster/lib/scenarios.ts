// Failure scenarios on a running local cluster that more than one test file runs (on MinIO
// and on fake-gcs-server): leadership read from Metadata, waiting for an even spread after
// a broker came back, and a broker SIGKILLed under Kafka's VerifiableProducer — every
// acknowledged record read back once at its offset, nothing written twice, the stream
// recovered without anyone acting. Each returns the figures it measured, for the test to
// print and judge.

import type { Admin } from 'kafkajs';
import type { BrokerNode, Cluster } from './cluster.ts';
import { longestAckGapMs, readAllWithKcat, retriedErrorsByCode, startVerifiableProducer } from './java-tools.ts';
import { compareRecords } from './kafka-clients.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Leader per partition (index = partition id); -1 where none is live. */
export async function leadersOf(admin: Admin, topic: string): Promise<number[]> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId).map((p) => p.leader);
}

/** Thrown by a waitFor check to stop waiting at once (other errors count as "not yet"). */
export class GiveUp extends Error {}

/**
 * Polls `check` every 100 ms until it returns a value; throws `what` (with the check's last
 * error, e.g. a broker that is down) after `timeoutMs`, or at once when the check throws GiveUp.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await sleep(100);
  }
}

/** Waits until every broker (all must be running) leads the same number of `topic`'s partitions (within one) and none is leaderless. */
export async function waitForSpread(admin: Admin, cluster: Cluster, topic: string, timeoutMs = 30_000): Promise<number[]> {
  return waitFor(`${topic}'s leaders spread over ${cluster.brokers.length} brokers`, timeoutMs, async () => {
    const leaders = await leadersOf(admin, topic);
    const counts = cluster.brokers.map((b) => leaders.filter((l) => l === b.nodeId).length);
    return leaders.every((l) => l >= 0) && Math.max(...counts) - Math.min(...counts) <= 1 ? leaders : undefined;
  });
}

export interface KillFigures extends FaultFigures {
  readonly killed: string;
  readonly partitionsOfKilled: number;
  /** SIGKILL → every partition of the topic led by a live broker (Metadata). */
  readonly failoverMs: number;
}

/**
 * SIGKILL of the broker leading most of `topic`'s partitions while VerifiableProducer
 * (acks=all, idempotent) writes `count` records at `rate`/s; the producer finishes on its
 * own, then kcat reads everything. The killed broker stays down (the caller restarts it).
 * Records already in the topic are read too: give a `valuePrefix` to every run after the first.
 * `restartAfterMs`: start the killed broker again (same data directory, so its WAL) that
 * long after the kill, while the producer still runs — for `local` topics, which wait for it.
 */
export async function killBrokerUnderLoad(
  cluster: Cluster,
  admin: Admin,
  topic: string,
  o: { readonly count: number; readonly rate: number; readonly restartAfterMs?: number; readonly victim?: BrokerNode; readonly valuePrefix?: number },
): Promise<KillFigures> {
  const leaders = await leadersOf(admin, topic);
  const victim = o.victim ?? cluster.brokers.reduce((best, b) => (leaders.filter((l) => l === b.nodeId).length > leaders.filter((l) => l === best.nodeId).length ? b : best));
  const mine = leaders.filter((l) => l === victim.nodeId).length;
  let failoverMs = -1;
  const f = await faultUnderLoad(cluster, topic, o, async () => {
    const killedAt = Date.now();
    await victim.signal('SIGKILL');
    if (o.restartAfterMs !== undefined) {
      await sleep(o.restartAfterMs);
      victim.restart();
      await victim.waitReady(60_000);
    }
    failoverMs = await waitFor(`every partition of ${topic} led by a live broker`, 60_000, async () => {
      const now = await leadersOf(admin, topic);
      return now.every((l) => l >= 0 && (l !== victim.nodeId || victim.alive)) ? Date.now() - killedAt : undefined;
    });
  });
  return { killed: victim.name, partitionsOfKilled: mine, failoverMs, ...f };
}

export interface FaultFigures {
  readonly acked: number;
  /** The longest stall between two acks of the producer. */
  readonly longestAckGapMs: number;
  readonly retried: Map<string, number>;
  readonly problems: string[];
}

/**
 * Any fault under VerifiableProducer (acks=all, idempotent): `fault` runs once a third of
 * `count` records is acknowledged; the producer finishes on its own, then kcat reads the
 * topic. Problems: a failed send, an acknowledged record missing or elsewhere, a duplicate.
 */
export async function faultUnderLoad(cluster: Cluster, topic: string, o: { readonly count: number; readonly rate: number; readonly valuePrefix?: number }, fault: () => Promise<void>): Promise<FaultFigures> {
  const producer = startVerifiableProducer({ bootstrap: cluster.bootstrap, topic, maxMessages: o.count, throughput: o.rate, ...(o.valuePrefix !== undefined ? { valuePrefix: o.valuePrefix } : {}) });
  await waitFor('a third of the records acknowledged', 60_000, async () => {
    if (producer.exited()) throw new GiveUp(`VerifiableProducer exited early:\n${producer.stderr().slice(-3000)}`);
    return producer.acked.length >= o.count / 3 ? true : undefined;
  });
  await fault();
  const { code, toolData } = await producer.done;
  const problems: string[] = [];
  if (code !== 0) problems.push(`VerifiableProducer exited with ${String(code)}:\n${producer.stderr().slice(-3000)}`);
  if (producer.sendErrors.length > 0) problems.push(`${producer.sendErrors.length} sends failed, e.g. ${JSON.stringify(producer.sendErrors.slice(0, 3))}`);
  if (toolData?.['acked'] !== o.count) problems.push(`tool_data: ${JSON.stringify(toolData)} (want ${o.count} acked)`);
  const consumed = await readAllWithKcat(cluster.bootstrap, topic);
  problems.push(...compareRecords(producer.acked, consumed).slice(0, 20));
  const values = new Set(consumed.map((r) => r.value));
  if (values.size !== consumed.length) problems.push(`${consumed.length - values.size} records are in the log more than once`);
  return { acked: producer.acked.length, longestAckGapMs: longestAckGapMs(producer.ackedAtMs), retried: retriedErrorsByCode(producer.stderr()), problems };
}

export function describeRetried(retried: ReadonlyMap<string, number>): string {
  return [...retried].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
}

export function describeKill(f: KillFigures): string {
  return `${f.killed} (leading ${f.partitionsOfKilled} partitions) SIGKILLed: all partitions led by live brokers ${f.failoverMs} ms later; longest stall between acks ${f.longestAckGapMs} ms; ${f.acked} records acknowledged; the client retried: ${describeRetried(f.retried)}`;
}
