// `stratus admin groups list | describe GROUP`, over the Kafka protocol (works against
// `stratus dev` too). list asks every broker for the groups it coordinates; describe asks
// the group's coordinator for its members and committed offsets, and each partition's
// leader for its end offset: lag = end offset − committed offset, per partition.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { KafkaAdmin } from './kafka-admin.ts';
import { LATEST_TIMESTAMP } from './kafka-admin.ts';
import { isUnknownGroup, readGroup, tpKey } from './group-state.ts';
import { ADMIN_EXIT, AdminExit, count, describeItemError, itemError, table } from './output.ts';
import type { ItemError, Output } from './output.ts';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function groupsListCommand(kafka: KafkaAdmin, out: Output): Promise<number> {
  const brokers = await kafka.brokerIds();
  const answers = await Promise.all(
    brokers.map(async (broker) => {
      try {
        const r = await kafka.callNode(broker, ApiKey.ListGroups, { statesFilter: [] });
        return { broker, groups: r.groups, error: itemError(r) };
      } catch (e) {
        return { broker, groups: [], error: { code: ErrorCode.NETWORK_EXCEPTION, name: 'NETWORK_EXCEPTION', message: (e as Error).message } satisfies ItemError };
      }
    }),
  );
  const groups = answers
    .flatMap((a) => a.groups.map((g) => ({ group: g.groupId, state: g.groupState, protocolType: g.protocolType, coordinator: a.broker })))
    .sort((a, b) => byName(a.group, b.group));
  const failed = answers.filter((a) => a.error !== null).map((a) => ({ broker: a.broker, error: a.error! }));
  out.document({ groups, errors: failed });
  if (groups.length === 0) out.text('no consumer groups');
  else for (const line of table(['GROUP', 'STATE', 'PROTOCOL', 'COORDINATOR'], groups.map((g) => [g.group, g.state, g.protocolType === '' ? '-' : g.protocolType, String(g.coordinator)]))) out.text(line);
  if (failed.length > 0) {
    throw new AdminExit(ADMIN_EXIT.failed, `the list is incomplete: ${failed.map((f) => `broker ${f.broker}: ${describeItemError(f.error)}`).join('; ')} (try again once the broker is ready)`);
  }
  return ADMIN_EXIT.ok;
}

export async function groupsDescribeCommand(kafka: KafkaAdmin, out: Output, group: string): Promise<number> {
  const g = await readGroup(kafka, group);
  if (isUnknownGroup(g)) {
    out.document({ group, error: { code: ErrorCode.GROUP_ID_NOT_FOUND, name: 'GROUP_ID_NOT_FOUND', message: `no group named ${group}` } });
    throw new AdminExit(ADMIN_EXIT.failed, `no group named ${group}: no member and no committed offset (stratus admin groups list shows the groups)`);
  }
  // Every partition the group has an offset for or a member is assigned.
  const owner = new Map<string, string>();
  for (const m of g.members) for (const a of m.assignment ?? []) for (const p of a.partitions) owner.set(tpKey(a.topic, p), m.memberId);
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const c of g.committed.values()) partitions.set(tpKey(c.topic, c.partition), { topic: c.topic, partition: c.partition });
  for (const m of g.members) for (const a of m.assignment ?? []) for (const p of a.partitions) partitions.set(tpKey(a.topic, p), { topic: a.topic, partition: p });
  const list = [...partitions.values()].sort((a, b) => byName(a.topic, b.topic) || a.partition - b.partition);
  const ends = await kafka.listOffsets(list.map((p) => ({ ...p, timestamp: LATEST_TIMESTAMP })));
  const rows = list.map((p, i) => {
    const committed = g.committed.get(tpKey(p.topic, p.partition))?.offset ?? null;
    const end = ends[i]!;
    const endOffset = end.errorCode === ErrorCode.NONE ? end.offset : null;
    return {
      topic: p.topic,
      partition: p.partition,
      committedOffset: committed,
      endOffset,
      lag: committed !== null && endOffset !== null ? Math.max(0, endOffset - committed) : null,
      memberId: owner.get(tpKey(p.topic, p.partition)) ?? null,
      error: end.errorCode === ErrorCode.NONE ? null : itemError({ errorCode: end.errorCode, errorMessage: null }),
    };
  });
  const totalLag = rows.reduce((n, r) => n + (r.lag ?? 0), 0);
  out.document({
    group,
    coordinator: g.coordinator,
    state: g.state,
    protocolType: g.protocolType,
    protocol: g.protocol,
    members: g.members,
    partitions: rows,
    totalLag,
  });
  out.text(`group ${group}: ${g.state}, ${count(g.members.length, 'member')}${g.protocol !== '' ? ` (${g.protocol})` : ''}, coordinator broker ${g.coordinator}, total lag ${totalLag}`);
  if (g.members.length > 0) {
    out.text('');
    for (const line of table(
      ['MEMBER', 'CLIENT', 'HOST', 'PARTITIONS'],
      g.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment === null ? '?' : String(m.assignment.reduce((n, a) => n + a.partitions.length, 0))]),
    ))
      out.text(line);
  }
  out.text('');
  if (rows.length === 0) out.text('no committed offsets and no assigned partitions');
  else
    for (const line of table(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'MEMBER'],
      rows.map((r) => [r.topic, String(r.partition), r.committedOffset === null ? '-' : String(r.committedOffset), r.endOffset === null ? `? ${r.error?.name ?? ''}`.trim() : String(r.endOffset), r.lag === null ? '-' : String(r.lag), r.memberId ?? '-']),
    ))
      out.text(line);
  return ADMIN_EXIT.ok;
}
