// What each route answers on success, as zod schemas: the OpenAPI document shows them
// (z.toJSONSchema, output side) and test/cluster/admin-rest.test.ts parses every answer it
// gets with them, so the document cannot promise fields the server does not send. Objects
// are strict where the handler builds them field by field, loose where they pass on the
// controller's own counters (metrics summary), which grow with it.

import { z } from 'zod';

const nodeId = z.number().int();
const offset = z.number().int();
const nullableMs = z.number().int().nullable();

const endpoint = z.strictObject({ listener: z.string(), host: z.string(), port: z.number().int() });

export const healthResponse = z.union([
  z.strictObject({
    status: z.enum(['ok', 'degraded']),
    problems: z.array(z.string()),
    role: z.literal('active'),
    clusterId: z.string(),
    metadataVersion: z.number().int(),
    brokers: z.strictObject({ registered: z.number().int(), live: z.number().int(), fenced: z.number().int(), draining: z.number().int(), suspected: z.number().int() }),
    topics: z.number().int(),
    partitions: z.number().int(),
    partitionsWithoutLeader: z.number().int(),
    movesUnderWay: z.number().int(),
    activeController: z.string().nullable().describe('The active controller\'s gRPC address (null in stratus dev)'),
  }),
  z.strictObject({ status: z.literal('standby'), problems: z.array(z.string()), role: z.string(), activeController: z.string().nullable() }),
]);

export const brokersResponse = z.strictObject({
  brokers: z.array(
    z.strictObject({
      nodeId,
      host: z.string(),
      port: z.number().int(),
      rack: z.string().nullable(),
      endpoints: z.array(endpoint),
      fenced: z.boolean(),
      draining: z.boolean(),
      drainReason: z.enum(['operator', 'shutdown']).nullable(),
      suspected: z.boolean(),
      partitionsLed: z.number().int(),
      leaseExpiresAtMs: nullableMs,
    }),
  ),
});

export const drainResponse = z.strictObject({ nodeId, draining: z.boolean(), drainReason: z.enum(['operator', 'shutdown']).nullable(), partitionsToMove: z.number().int() });

const counters = z.looseObject({});
export const metricsSummaryResponse = z.strictObject({
  controller: z.looseObject({ metadataVersion: z.number(), topics: z.number(), partitions: z.number(), committedOffsets: z.number(), groups: z.number() }),
  cluster: z.looseObject({ brokers: z.number(), brokersFencedNow: z.number(), movesUnderWay: z.number(), movesStarted: z.number(), movesCompleted: z.number() }),
  maintenance: z.looseObject({ compaction: counters, orphans: counters, index: z.strictObject({ extents: z.number(), maxExtentsPerPartition: z.number() }) }),
  process: z.strictObject({ uptimeSeconds: z.number(), rssBytes: z.number(), heapUsedBytes: z.number(), heapTotalBytes: z.number() }),
});

export const topicsResponse = z.strictObject({
  topics: z.array(z.strictObject({ name: z.string(), topicId: z.string(), partitions: z.number().int(), internal: z.boolean(), configs: z.record(z.string(), z.string()) })),
});

const configEntry = z.strictObject({ name: z.string(), value: z.string().nullable(), source: z.string().describe('topic, broker or default'), readOnly: z.boolean(), sensitive: z.boolean() });

export const topicResponse = z.strictObject({
  name: z.string(),
  topicId: z.string(),
  internal: z.boolean(),
  partitions: z.array(z.strictObject({ partition: z.number().int(), leader: nodeId, leaderEpoch: z.number().int(), movingTo: nodeId.nullable(), logStartOffset: offset, endOffset: offset })),
  configs: z.array(configEntry),
});

export const createTopicResponse = z.union([topicResponse, z.strictObject({ name: z.string(), validateOnly: z.literal(true), created: z.literal(false) })]);
export const alterConfigsResponse = z.strictObject({ name: z.string(), validateOnly: z.boolean(), configs: z.array(configEntry) });
export const deleteTopicResponse = z.strictObject({ name: z.string(), topicId: z.string(), deleted: z.literal(true) });

const groupState = z.enum(['has-members', 'empty']);
export const groupsResponse = z.strictObject({
  groups: z.array(z.strictObject({ group: z.string(), state: groupState, committedOffsets: z.number().int(), coordinatorsWithMembers: z.array(nodeId), emptySinceMs: nullableMs })),
});

export const groupResponse = z.strictObject({
  group: z.string(),
  state: groupState,
  coordinatorsWithMembers: z.array(nodeId),
  emptySinceMs: nullableMs,
  totalLag: z.number().int(),
  partitions: z.array(
    z.strictObject({
      topic: z.string(),
      partition: z.number().int(),
      committedOffset: offset,
      endOffset: offset,
      logStartOffset: offset,
      lag: z.number().int(),
      metadata: z.string().nullable(),
      commitTimestampMs: z.number().int(),
    }),
  ),
});

export const resetOffsetsResponse = z.strictObject({
  group: z.string(),
  state: groupState,
  dryRun: z.boolean(),
  executed: z.boolean(),
  partitions: z.array(z.strictObject({ topic: z.string(), partition: z.number().int(), currentOffset: offset.nullable(), newOffset: offset, logStartOffset: offset, endOffset: offset })),
});

const plannedMove = z.strictObject({ topic: z.string(), partition: z.number().int(), from: nodeId, to: nodeId });
const moveStates = z.enum(['pending', 'moving', 'done', 'failed']);

export const rebalanceResponse = z.strictObject({
  id: z.number().int(),
  state: z.enum(['running', 'finished', 'timed-out', 'stopped']),
  startedAtMs: z.number().int(),
  finishedAtMs: nullableMs,
  maxConcurrentMoves: z.number().int(),
  timeoutMs: z.number().int(),
  counts: z.strictObject({ pending: z.number().int(), moving: z.number().int(), done: z.number().int(), failed: z.number().int() }),
  moves: z.array(plannedMove.extend({ state: moveStates, error: z.string().nullable(), startedAtMs: nullableMs, endedAtMs: nullableMs })),
});

export const rebalancePlanResponse = z.strictObject({ dryRun: z.literal(true), maxConcurrentMoves: z.number().int(), moves: z.array(plannedMove) });
export const startRebalanceResponse = z.union([rebalanceResponse, rebalancePlanResponse]);

export const openApiResponse = z.looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({}), paths: z.record(z.string(), z.looseObject({})) });
