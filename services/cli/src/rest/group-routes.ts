// Consumer group routes: list, describe with lag, reset offsets. Committed offsets and
// what coordinators reported of membership are the controller's; the end offsets are its
// partition index's committed end (what brokers have uploaded and committed). A broker's
// high watermark can be ahead of it by what the broker has not uploaded yet (at most
// upload.maxDelay's worth), so the lag shown here can be that much lower than a
// consumer's own, and a reset to `latest` lands that much before the broker's end.

import type { CommittedOffset, Controller, GroupOverview, TopicInfo } from '@stratus/controller';
import { errorName } from '@stratus/protocol';
import { API_PREFIX, TIMESTAMP_SCAN_PAGE } from './constants.ts';
import { ApiProblem } from './problem.ts';
import { groupResponse, groupsResponse, resetOffsetsResponse } from './responses.ts';
import { json, route } from './route.ts';
import type { Route } from './route.ts';
import { groupParam, resetOffsetsBody } from './schemas.ts';
import type { ResetOffsetsBody } from './schemas.ts';
import { topicNamed } from './topic-routes.ts';

interface GroupPartition {
  readonly topic: TopicInfo;
  readonly partition: number;
}

/** The controller keys committed offsets "<topicId>:<partition>" (partitionKey); topic ids hold no ':'. */
function splitOffsetKey(key: string): { topicId: string; partition: number } {
  const at = key.lastIndexOf(':');
  return { topicId: key.slice(0, at), partition: Number(key.slice(at + 1)) };
}

async function overview(controller: Controller, group: string): Promise<GroupOverview | undefined> {
  return (await controller.groupOverviews()).find((g) => g.group === group);
}

function groupState(o: GroupOverview | undefined): string {
  return o !== undefined && o.coordinatorsWithMembers.length > 0 ? 'has-members' : 'empty';
}

/** The group's committed offsets by topic and partition, for topics that exist, in topic-name then partition order. */
async function committedByPartition(controller: Controller, group: string): Promise<{ at: GroupPartition; committed: CommittedOffset }[]> {
  const byId = new Map(controller.metadata().topics.map((t) => [t.topicId, t]));
  const out: { at: GroupPartition; committed: CommittedOffset }[] = [];
  for (const [key, committed] of await controller.fetchOffsets(group, null)) {
    const { topicId, partition } = splitOffsetKey(key);
    const topic = byId.get(topicId);
    if (topic !== undefined) out.push({ at: { topic, partition }, committed });
  }
  return out.sort((a, b) => (a.at.topic.name < b.at.topic.name ? -1 : a.at.topic.name > b.at.topic.name ? 1 : a.at.partition - b.at.partition));
}

async function offsetsOf(controller: Controller, at: GroupPartition): Promise<{ logStartOffset: number; endOffset: number }> {
  const tp = { topicId: at.topic.topicId, partition: at.partition };
  const [logStartOffset, endOffset] = await Promise.all([controller.logStartOffset(tp), controller.committedEndOffset(tp)]);
  return { logStartOffset, endOffset };
}

/** The first offset of the first committed extent whose newest record is at or after `timestamp`; the end when none is. */
async function offsetForTimestamp(controller: Controller, at: GroupPartition, timestamp: number, logStartOffset: number, endOffset: number): Promise<number> {
  const tp = { topicId: at.topic.topicId, partition: at.partition };
  let from = logStartOffset;
  while (from < endOffset) {
    const extents = await controller.extentsFrom(tp, from, TIMESTAMP_SCAN_PAGE);
    if (extents.length === 0) break;
    for (const e of extents) if (e.maxTimestamp >= timestamp) return Math.max(e.baseOffset, logStartOffset);
    from = extents[extents.length - 1]!.lastOffset + 1;
  }
  return endOffset;
}

async function newOffset(controller: Controller, at: GroupPartition, target: ResetOffsetsBody['target'], o: { logStartOffset: number; endOffset: number }): Promise<number> {
  switch (target.to) {
    case 'earliest':
      return o.logStartOffset;
    case 'latest':
      return o.endOffset;
    case 'offset':
      return Math.min(Math.max(target.offset, o.logStartOffset), o.endOffset);
    case 'timestamp':
      return offsetForTimestamp(controller, at, target.timestamp, o.logStartOffset, o.endOffset);
  }
}

/** The partitions a reset names: a topic's (all or some), or every one the group has committed offsets for. */
async function partitionsToReset(controller: Controller, group: string, body: ResetOffsetsBody): Promise<GroupPartition[]> {
  if (body.topic === undefined) {
    const committed = await committedByPartition(controller, group);
    if (committed.length === 0) throw new ApiProblem('not-found', `group ${group} has no committed offsets: name a topic to reset`);
    return committed.map((c) => c.at);
  }
  const topic = topicNamed(controller, body.topic);
  const numbers = body.partitions ?? topic.partitions.map((p) => p.partition);
  const missing = numbers.filter((p) => p >= topic.partitions.length);
  if (missing.length > 0) throw new ApiProblem('bad-request', `topic ${topic.name} has ${topic.partitions.length} partition(s): no partition ${missing.join(', ')}`, { errors: [{ path: 'partitions', message: `no partition ${missing.join(', ')}` }] });
  return [...new Set(numbers)].sort((a, b) => a - b).map((partition) => ({ topic, partition }));
}

export const groupRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: `${API_PREFIX}/groups`,
    operationId: 'listGroups',
    response: groupsResponse,
    summary: 'Consumer groups',
    description: 'Every group with committed offsets or with members a broker\'s coordinator reported; state has-members or empty.',
    params: {},
    body: undefined,
    responses: { 200: '{ groups: [...] }' },
    handle: async ({ ctx }) => {
      const groups = (await ctx.controller().groupOverviews()).map((g) => ({ group: g.group, state: groupState(g), committedOffsets: g.committedOffsets, coordinatorsWithMembers: g.coordinatorsWithMembers, emptySinceMs: g.emptySinceMs }));
      return json(200, { groups });
    },
  }),
  route({
    method: 'GET',
    path: `${API_PREFIX}/groups/{group}`,
    operationId: 'describeGroup',
    response: groupResponse,
    summary: 'Describe a group with its lag',
    description: 'Each partition it committed an offset for: the offset, the committed end offset, the log start and the lag (end − committed, at least 0); and the total lag.',
    params: { group: groupParam },
    body: undefined,
    responses: { 200: 'The group' },
    handle: async ({ ctx, params }) => {
      const c = ctx.controller();
      const o = await overview(c, params.group);
      if (o === undefined) throw new ApiProblem('not-found', `no group ${params.group} (one without committed offsets or members is not known to the controller; GET ${API_PREFIX}/groups lists them)`);
      const partitions = await Promise.all(
        (await committedByPartition(c, params.group)).map(async ({ at, committed }) => {
          const offsets = await offsetsOf(c, at);
          return {
            topic: at.topic.name,
            partition: at.partition,
            committedOffset: committed.offset,
            endOffset: offsets.endOffset,
            logStartOffset: offsets.logStartOffset,
            lag: Math.max(0, offsets.endOffset - committed.offset),
            metadata: committed.metadata,
            commitTimestampMs: committed.commitTimestampMs,
          };
        }),
      );
      return json(200, {
        group: o.group,
        state: groupState(o),
        coordinatorsWithMembers: o.coordinatorsWithMembers,
        emptySinceMs: o.emptySinceMs,
        totalLag: partitions.reduce((sum, p) => sum + p.lag, 0),
        partitions,
      });
    },
  }),
  route({
    method: 'POST',
    path: `${API_PREFIX}/groups/{group}/reset-offsets`,
    operationId: 'resetGroupOffsets',
    response: resetOffsetsResponse,
    summary: 'Reset a group\'s committed offsets',
    description:
      'To the earliest offset, the latest (committed end), the first at or after a timestamp, or a given offset (clamped to what the partition holds). ' +
      'A dry run (the default) only shows the new offsets; with dryRun false they are committed, which needs the group to have no members (409 otherwise: stop its consumers first).',
    params: { group: groupParam },
    body: resetOffsetsBody,
    responses: { 200: 'The partitions with their current and new offsets; executed says whether they were committed' },
    handle: async ({ ctx, params, body }) => {
      const c = ctx.controller();
      const group = params.group;
      const at = await partitionsToReset(c, group, body);
      const current = new Map((await committedByPartition(c, group)).map((x) => [`${x.at.topic.topicId}:${x.at.partition}`, x.committed.offset]));
      const partitions = await Promise.all(
        at.map(async (p) => {
          const offsets = await offsetsOf(c, p);
          return { topic: p.topic.name, topicId: p.topic.topicId, partition: p.partition, currentOffset: current.get(`${p.topic.topicId}:${p.partition}`) ?? null, newOffset: await newOffset(c, p, body.target, offsets), ...offsets };
        }),
      );
      const o = await overview(c, group);
      const state = groupState(o);
      const shown = partitions.map(({ topicId: _, ...p }) => p);
      if (body.dryRun) return json(200, { group, state, dryRun: true, executed: false, partitions: shown });
      if (state === 'has-members') {
        throw new ApiProblem('conflict', `group ${group} has members (coordinator on broker ${o!.coordinatorsWithMembers.join(', ')}): stop its consumers, then reset; their next commit would overwrite the reset`, { state });
      }
      const results = await c.commitOffsets(group, partitions.map((p) => ({ topicId: p.topicId, partition: p.partition, offset: p.newOffset, leaderEpoch: -1, metadata: null })));
      const failed = results.map((r, i) => ({ r, p: partitions[i]! })).filter(({ r }) => r.errorCode !== 0);
      if (failed.length > 0) {
        throw new ApiProblem('bad-request', `${failed.length} of ${partitions.length} offsets not committed: ${failed.map(({ r, p }) => `${p.topic}/${p.partition}: ${r.errorMessage ?? errorName(r.errorCode)}`).join('; ')}`, {
          kafkaError: errorName(failed[0]!.r.errorCode),
        });
      }
      return json(200, { group, state, dryRun: false, executed: true, partitions: shown });
    },
  }),
];
