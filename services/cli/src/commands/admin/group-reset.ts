// `stratus admin groups reset-offsets GROUP (--topic T[:P,P...]... | --all-topics)
//  (--to-earliest | --to-latest | --to-datetime TIME | --to-offset N) [--execute]`
// as kafka-consumer-groups.sh --reset-offsets does it: the plan (each partition's current
// and new offset) is printed and nothing changes unless --execute is given; with
// --execute the offsets are committed for the group — refused while the group has
// members (a running consumer would commit over them, or be reset under its feet).
// --to-offset is clamped into [log start, end], as Kafka's tool does; --to-datetime takes
// each partition's first offset whose record time is at or after TIME (the end when none).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { KafkaAdmin } from './kafka-admin.ts';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from './kafka-admin.ts';
import { INACTIVE_STATES, isUnknownGroup, readGroup, tpKey } from './group-state.ts';
import { ADMIN_EXIT, AdminExit, count, describeItemError, itemError, table, usageError } from './output.ts';
import type { ItemError, Output } from './output.ts';

/** Partitions per OffsetCommit: each is one step of the progress bar. */
const COMMIT_BATCH = 50;

export type ResetTarget = { readonly kind: 'earliest' } | { readonly kind: 'latest' } | { readonly kind: 'datetime'; readonly timestampMs: number } | { readonly kind: 'offset'; readonly offset: number };

export interface ResetArgs {
  readonly group: string;
  /** null: every topic the group has committed offsets for (--all-topics). */
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] | null }[] | null;
  readonly target: ResetTarget;
  readonly execute: boolean;
}

/** --to-datetime: ISO 8601 (UTC unless it carries an offset: 2026-12-06T14:00:00, 2026-12-06T15:00:00+01:00) or epoch ms. */
export function parseDatetime(raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const withZone = /(Z|[+-]\d\d:?\d\d)$/i.test(raw) || !raw.includes('T') ? raw : `${raw}Z`;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) throw usageError(`--to-datetime ${raw}: an ISO 8601 time (2026-12-06T14:00:00, UTC unless it ends with an offset such as +01:00) or epoch milliseconds`);
  return ms;
}

/** The reset's options, checked before anything connects. */
export function resetArgs(
  group: string | undefined,
  v: { topic?: readonly string[] | undefined; allTopics?: boolean | undefined; toEarliest?: boolean | undefined; toLatest?: boolean | undefined; toDatetime?: string | undefined; toOffset?: string | undefined; execute?: boolean | undefined },
): ResetArgs {
  if (group === undefined) throw usageError("groups reset-offsets needs the group's name (stratus admin groups list shows them)");
  const targets: ResetTarget[] = [];
  if (v.toEarliest === true) targets.push({ kind: 'earliest' });
  if (v.toLatest === true) targets.push({ kind: 'latest' });
  if (v.toDatetime !== undefined) targets.push({ kind: 'datetime', timestampMs: parseDatetime(v.toDatetime) });
  if (v.toOffset !== undefined) {
    if (!/^\d+$/.test(v.toOffset)) throw usageError(`--to-offset ${v.toOffset}: an offset (a whole number)`);
    targets.push({ kind: 'offset', offset: Number(v.toOffset) });
  }
  if (targets.length !== 1) throw usageError('groups reset-offsets needs exactly one of --to-earliest, --to-latest, --to-datetime TIME, --to-offset N');
  const named = v.topic ?? [];
  if ((named.length > 0) === (v.allTopics === true)) throw usageError('groups reset-offsets needs --topic T[:P,P...] (repeatable) or --all-topics (the topics the group has offsets for), not both');
  const topics =
    v.allTopics === true
      ? null
      : named.map((t) => {
          const colon = t.lastIndexOf(':');
          if (colon < 0) return { topic: t, partitions: null };
          const parts = t.slice(colon + 1).split(',');
          if (t.slice(0, colon) === '' || parts.some((p) => !/^\d+$/.test(p))) throw usageError(`--topic ${t}: a topic, or TOPIC:P,P... with partition numbers`);
          return { topic: t.slice(0, colon), partitions: parts.map(Number) };
        });
  return { group, topics, target: targets[0]!, execute: v.execute === true };
}

interface PlannedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly currentOffset: number | null;
  readonly newOffset: number | null;
  readonly error: ItemError | null;
}

const describeTarget = (t: ResetTarget): string =>
  t.kind === 'earliest' ? 'the earliest offset' : t.kind === 'latest' ? 'the end' : t.kind === 'offset' ? `offset ${t.offset}` : `the first record at or after ${new Date(t.timestampMs).toISOString()}`;

export async function groupsResetOffsetsCommand(kafka: KafkaAdmin, out: Output, a: ResetArgs): Promise<number> {
  const g = await readGroup(kafka, a.group);
  // The partitions the reset covers.
  let partitions: { topic: string; partition: number }[];
  const unknown: PlannedPartition[] = [];
  if (a.topics === null) {
    partitions = [...g.committed.values()].map((c) => ({ topic: c.topic, partition: c.partition }));
    if (partitions.length === 0) {
      throw new AdminExit(ADMIN_EXIT.failed, `group ${a.group} has no committed offsets${isUnknownGroup(g) ? ' (no such group?)' : ''}: name the topics with --topic T instead of --all-topics`);
    }
  } else {
    const meta = await kafka.metadata(a.topics.map((t) => t.topic), true);
    partitions = [];
    for (const t of a.topics) {
      const m = meta.topics.find((x) => x.name === t.topic);
      const exists = new Set(m !== undefined && m.errorCode === ErrorCode.NONE ? m.partitions.map((p) => p.partitionIndex) : []);
      for (const p of t.partitions ?? [...exists].sort((x, y) => x - y)) {
        if (exists.has(p)) partitions.push({ topic: t.topic, partition: p });
        else unknown.push({ topic: t.topic, partition: p, currentOffset: null, newOffset: null, error: { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: 'UNKNOWN_TOPIC_OR_PARTITION', message: exists.size === 0 ? `no topic named ${t.topic}` : null } });
      }
      if (t.partitions === null && exists.size === 0) unknown.push({ topic: t.topic, partition: -1, currentOffset: null, newOffset: null, error: { code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: 'UNKNOWN_TOPIC_OR_PARTITION', message: `no topic named ${t.topic}` } });
    }
    partitions.sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition));
  }

  // Each partition's new offset.
  const bounds = await kafka.listOffsets(partitions.flatMap((p) => [
    { ...p, timestamp: EARLIEST_TIMESTAMP },
    { ...p, timestamp: LATEST_TIMESTAMP },
    ...(a.target.kind === 'datetime' ? [{ ...p, timestamp: a.target.timestampMs }] : []),
  ]));
  const per = a.target.kind === 'datetime' ? 3 : 2;
  const plan: PlannedPartition[] = partitions.map((p, i) => {
    const [earliest, latest, atTime] = [bounds[i * per]!, bounds[i * per + 1]!, bounds[i * per + 2]];
    const failedAnswer = [earliest, latest, atTime].find((x) => x !== undefined && x.errorCode !== ErrorCode.NONE);
    const currentOffset = g.committed.get(tpKey(p.topic, p.partition))?.offset ?? null;
    if (failedAnswer !== undefined) return { ...p, currentOffset, newOffset: null, error: itemError({ errorCode: failedAnswer.errorCode, errorMessage: null }) };
    const t = a.target;
    const newOffset =
      t.kind === 'earliest' ? earliest.offset : t.kind === 'latest' ? latest.offset : t.kind === 'offset' ? Math.min(Math.max(t.offset, earliest.offset), latest.offset) : atTime!.offset < 0 ? latest.offset : atTime!.offset;
    return { ...p, currentOffset, newOffset, error: null };
  });
  const all = [...plan, ...unknown];
  const doc = (applied: boolean) => ({ group: a.group, state: g.state, members: g.members.length, target: a.target, execute: a.execute, applied, partitions: all });

  const planText = (): void => {
    out.text(`group ${a.group} (${g.state}, ${count(g.members.length, 'member')}): reset ${count(plan.length, 'partition')} to ${describeTarget(a.target)}`);
    for (const line of table(
      ['TOPIC', 'PARTITION', 'CURRENT', 'NEW', 'RESULT'],
      all.map((p) => [p.topic, p.partition < 0 ? '-' : String(p.partition), p.currentOffset === null ? '-' : String(p.currentOffset), p.newOffset === null ? '-' : String(p.newOffset), p.error === null ? '' : describeItemError(p.error)]),
    ))
      out.text(line);
  };
  const failedItems = (): string => all.filter((p) => p.error !== null).map((p) => `${p.topic}${p.partition < 0 ? '' : `/${p.partition}`}: ${describeItemError(p.error!)}`).join('; ');

  if (!a.execute) {
    out.document(doc(false));
    planText();
    if (all.some((p) => p.error !== null)) throw new AdminExit(ADMIN_EXIT.failed, `the plan has partitions that cannot be reset: ${failedItems()}`);
    out.text('dry run: nothing changed. Run again with --execute to commit these offsets (only while the group has no members).');
    return ADMIN_EXIT.ok;
  }
  if (g.members.length > 0 || !INACTIVE_STATES.includes(g.state)) {
    out.document(doc(false));
    planText();
    throw new AdminExit(
      ADMIN_EXIT.failed,
      `group ${a.group} is ${g.state} with ${count(g.members.length, 'member')}: its offsets can be reset only while no consumer of it runs (kafka-consumer-groups.sh refuses the same). ` +
        `Stop its consumers, wait until stratus admin groups describe ${a.group} says Empty, and run this again. Nothing was changed.`,
    );
  }
  if (unknown.length > 0 || plan.some((p) => p.error !== null)) {
    out.document(doc(false));
    planText();
    throw new AdminExit(ADMIN_EXIT.failed, `nothing was changed; these partitions cannot be reset: ${failedItems()}`);
  }

  // Commit, a batch of partitions at a time (a step of the progress bar each).
  const results = new Map<string, ItemError | null>();
  for (let i = 0; i < plan.length; i += COMMIT_BATCH) {
    const batch = plan.slice(i, i + COMMIT_BATCH);
    const topics = [...new Set(batch.map((p) => p.topic))].map((name) => ({
      name,
      partitions: batch.filter((p) => p.topic === name).map((p) => ({ partitionIndex: p.partition, committedOffset: p.newOffset!, committedLeaderEpoch: -1, committedMetadata: '' })),
    }));
    const r = await kafka.callNode(g.coordinator, ApiKey.OffsetCommit, { groupId: a.group, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics });
    for (const t of r.topics) for (const p of t.partitions) results.set(tpKey(t.name, p.partitionIndex), itemError({ errorCode: p.errorCode, errorMessage: null }));
    out.step(`committing offsets for group ${a.group}`, Math.min(i + COMMIT_BATCH, plan.length), plan.length);
  }
  out.endSteps();
  const applied = plan.map((p) => ({ ...p, error: results.has(tpKey(p.topic, p.partition)) ? results.get(tpKey(p.topic, p.partition))! : { code: ErrorCode.UNKNOWN_SERVER_ERROR, name: 'UNKNOWN_SERVER_ERROR', message: 'the coordinator did not answer for it' } }));
  all.splice(0, all.length, ...applied);
  const failed = applied.filter((p) => p.error !== null);
  out.document(doc(failed.length === 0));
  planText();
  if (failed.length > 0) {
    const hint = failed.some((p) => p.error!.code === ErrorCode.UNKNOWN_MEMBER_ID || p.error!.code === ErrorCode.ILLEGAL_GENERATION) ? ' (a consumer joined the group meanwhile: stop it and run again)' : '';
    throw new AdminExit(ADMIN_EXIT.failed, `${failed.length} of ${count(applied.length, 'partition')} not reset: ${failedItems()}${hint}`);
  }
  out.text(`committed: group ${a.group} resumes from these offsets`);
  return ADMIN_EXIT.ok;
}
