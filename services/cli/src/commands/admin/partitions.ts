// `stratus admin partitions reassign --topic T --partition P[,P...] --to BROKER [--wait]`:
// asks the controller for graceful moves of the partitions' leadership (reassignPartitions;
// the leader stops accepting, commits its tail and hands over — no data is copied). The
// topic is named; its id comes from the controller's metadata. Each partition's result is
// shown; any refusal makes the exit code 1.

import { ErrorCode } from '@stratus/protocol';
import type { ControllerConnection } from './connect.ts';
import type { ClusterView } from './cluster-view.ts';
import { ADMIN_EXIT, AdminExit, count, describeItemError, formatMs, itemError, table, usageError } from './output.ts';
import type { ItemError, Output } from './output.ts';
import { waitFor } from './wait.ts';

export interface ReassignArgs {
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly to: number;
}

interface ItemOutcome {
  readonly topic: string;
  readonly partition: number;
  /** The leader before the request (null: no such partition). */
  readonly from: number | null;
  readonly to: number;
  readonly error: ItemError | null;
}

/** --topic, --partition and --to as given, checked. */
export function reassignArgs(a: { topic: string | undefined; partitions: string | undefined; to: string | undefined }): ReassignArgs {
  if (a.topic === undefined || a.partitions === undefined || a.to === undefined) throw usageError('partitions reassign needs --topic T --partition P[,P...] --to BROKER');
  const partitions = a.partitions.split(',').map((p) => p.trim());
  if (partitions.some((p) => !/^\d+$/.test(p))) throw usageError(`--partition ${a.partitions}: partition numbers, comma-separated`);
  if (!/^\d+$/.test(a.to)) throw usageError(`--to ${a.to}: a broker id (stratus admin brokers list shows them)`);
  return { topic: a.topic, partitions: partitions.map(Number), to: Number(a.to) };
}

export async function partitionsReassignCommand(conn: ControllerConnection, out: Output, args: ReassignArgs, wait: { timeoutMs: number } | undefined): Promise<number> {
  const { topic, partitions, to } = args;
  const info = conn.client.metadata().topics.find((t) => t.name === topic);
  let outcomes: ItemOutcome[];
  if (info === undefined) {
    const error = { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no topic named ${topic}` };
    outcomes = partitions.map((partition) => ({ topic, partition, from: null, to, error }));
  } else {
    const leaderOf = new Map(info.partitions.map((p) => [p.partition, p.leader]));
    const results = await conn.client.reassignPartitions(partitions.map((partition) => ({ topicId: info.topicId, partition, leader: to })));
    outcomes = partitions.map((partition, i) => ({ topic, partition, from: leaderOf.get(partition) ?? null, to, error: itemError(results[i] ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the controller gave no result' }) }));
  }
  const failed = outcomes.filter((o) => o.error !== null);
  const started = outcomes.filter((o) => o.error === null);
  for (const line of table(['TOPIC', 'PARTITION', 'FROM', 'TO', 'RESULT'], outcomes.map((o) => [o.topic, String(o.partition), o.from === null ? '-' : String(o.from), String(o.to), o.error === null ? (o.from === to ? 'already led there' : 'moving') : describeItemError(o.error)]))) out.text(line);

  let waited: { done: boolean; elapsedMs: number } | null = null;
  if (wait !== undefined && started.length > 0 && info !== undefined) {
    const leaders = (): Map<number, number> => new Map(conn.client.metadata().topics.find((t) => t.topicId === info.topicId)?.partitions.map((p) => [p.partition, p.leader]) ?? []);
    const pending = (v: ClusterView): number => {
      const now = leaders();
      return started.filter((o) => now.get(o.partition) !== to || v.moves.some((m) => m.topicId === info.topicId && m.partition === o.partition)).length;
    };
    const w = await waitFor(
      conn,
      wait.timeoutMs,
      (v) => pending(v) === 0,
      (v) => ({ line: `${pending(v)} of ${count(started.length, 'partition')} still moving to broker ${to}`, done: started.length - pending(v), total: started.length }),
      out,
    );
    waited = { done: w.done, elapsedMs: Math.round(w.elapsedMs) };
    if (w.done) out.text(`broker ${to} leads them (${formatMs(w.elapsedMs)})`);
  }
  out.document({ topic, to, partitions: outcomes, wait: waited });
  if (failed.length > 0) throw new AdminExit(ADMIN_EXIT.failed, `${failed.length} of ${count(outcomes.length, 'partition')} not reassigned: ${failed.map((o) => `${o.topic}/${o.partition}: ${describeItemError(o.error!)}`).join('; ')}`);
  if (waited !== null && !waited.done) throw new AdminExit(ADMIN_EXIT.failed, `the moves to broker ${to} did not finish within ${formatMs(waited.elapsedMs)}; the controller keeps on with them (stratus admin cluster shows the moves under way)`);
  return ADMIN_EXIT.ok;
}
