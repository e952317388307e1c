// Cluster routes: health, brokers (list, drain, undrain) and the metrics summary. They
// read the active Controller's metadata and cluster description, and drain through the
// same drainBroker the gRPC API and `stratus admin brokers drain` use (reason 'operator':
// the drain outlasts the broker's restarts until an operator undoes it).

import type { Controller } from '@stratus/controller';
import { API_PREFIX } from './constants.ts';
import { ApiProblem, kafkaProblem } from './problem.ts';
import { brokersResponse, drainResponse, healthResponse, metricsSummaryResponse } from './responses.ts';
import { json, route } from './route.ts';
import type { Reply, Route } from './route.ts';
import { brokerIdParam } from './schemas.ts';

async function health(controller: Controller, role: string): Promise<Record<string, unknown>> {
  const d = await controller.describeCluster();
  const live = d.brokers.filter((b) => !b.fenced);
  let partitions = 0;
  let withoutLeader = 0;
  const liveIds = new Set(live.map((b) => b.nodeId));
  for (const t of d.metadata.topics) {
    for (const p of t.partitions) {
      partitions++;
      if (!liveIds.has(p.leader)) withoutLeader++;
    }
  }
  const problems: string[] = [];
  if (live.length === 0) problems.push('no live broker');
  if (withoutLeader > 0) problems.push(`${withoutLeader} partition(s) without a live leader`);
  return {
    status: problems.length === 0 ? 'ok' : 'degraded',
    problems,
    role,
    clusterId: d.metadata.clusterId,
    metadataVersion: d.metadata.version,
    brokers: {
      registered: d.brokers.length,
      live: live.length,
      fenced: d.brokers.length - live.length,
      draining: d.brokers.filter((b) => b.draining).length,
      suspected: d.brokers.filter((b) => b.suspected).length,
    },
    topics: d.metadata.topics.length,
    partitions,
    partitionsWithoutLeader: withoutLeader,
    movesUnderWay: d.moves.length,
  };
}

async function brokerList(controller: Controller): Promise<Record<string, unknown>[]> {
  const d = await controller.describeCluster();
  const states = new Map(d.brokers.map((b) => [b.nodeId, b]));
  return d.metadata.brokers
    .map((b) => {
      const s = states.get(b.nodeId);
      return {
        nodeId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
        endpoints: b.endpoints ?? [],
        fenced: b.fenced,
        draining: b.draining,
        drainReason: s?.drainReason ?? null,
        suspected: s?.suspected ?? false,
        partitionsLed: s?.leaderOf ?? 0,
        leaseExpiresAtMs: s?.leaseExpiresAtMs ?? null,
      };
    })
    .sort((a, b) => a.nodeId - b.nodeId);
}

async function drain(controller: Controller, nodeId: number, draining: boolean): Promise<Reply> {
  if (!controller.metadata().brokers.some((b) => b.nodeId === nodeId)) throw new ApiProblem('not-found', `broker ${nodeId} is not registered (GET ${API_PREFIX}/brokers lists the brokers)`);
  const r = await controller.drainBroker(nodeId, draining, 'operator');
  if (r.errorCode !== 0) throw kafkaProblem(r, `${draining ? 'drain' : 'undrain'} broker ${nodeId}`);
  return json(200, { nodeId, draining: r.draining, drainReason: r.drainReason, partitionsToMove: r.partitionsToMove });
}

const brokerParams = { nodeId: brokerIdParam };

export const clusterRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: `${API_PREFIX}/health`,
    operationId: 'getHealth',
    response: healthResponse,
    summary: 'Cluster health',
    description:
      'On the active controller: status ok, or degraded with the problems (no live broker, partitions without a live leader), and counts of brokers, topics, partitions and moves. ' +
      'On a standby: status standby and the active controller\'s address (it holds no metadata).',
    params: {},
    body: undefined,
    responses: { 200: 'The health (also when degraded: read status)' },
    standby: true,
    handle: async ({ ctx }) => {
      const r = ctx.role();
      if (r.role !== 'active') return json(200, { status: 'standby', problems: [], role: r.role, activeController: r.activeController });
      return json(200, { ...(await health(ctx.controller(), r.role)), activeController: r.activeController });
    },
  }),
  route({
    method: 'GET',
    path: `${API_PREFIX}/brokers`,
    operationId: 'listBrokers',
    response: brokersResponse,
    summary: 'Registered brokers',
    description: 'Every registered broker, fenced or not, with its listeners, drain, suspicion and the partitions it leads.',
    params: {},
    body: undefined,
    responses: { 200: '{ brokers: [...] }' },
    handle: async ({ ctx }) => json(200, { brokers: await brokerList(ctx.controller()) }),
  }),
  route({
    method: 'POST',
    path: `${API_PREFIX}/brokers/{nodeId}/drain`,
    operationId: 'drainBroker',
    response: drainResponse,
    summary: 'Drain a broker',
    description: 'Moves every partition it leads to other brokers (gracefully) and gives it no new ones, until undrained; it survives the broker\'s restarts.',
    params: brokerParams,
    body: undefined,
    responses: { 200: 'Draining: the partitions still to move' },
    handle: async ({ ctx, params }) => drain(ctx.controller(), params.nodeId, true),
  }),
  route({
    method: 'POST',
    path: `${API_PREFIX}/brokers/{nodeId}/undrain`,
    operationId: 'undrainBroker',
    response: drainResponse,
    summary: 'Undo a drain',
    description: 'The broker may lead partitions again; the controller moves some back to even out leadership.',
    params: brokerParams,
    body: undefined,
    responses: { 200: 'Not draining any more' },
    handle: async ({ ctx, params }) => drain(ctx.controller(), params.nodeId, false),
  }),
  route({
    method: 'GET',
    path: `${API_PREFIX}/metrics/summary`,
    operationId: 'getMetricsSummary',
    response: metricsSummaryResponse,
    summary: 'A summary of the controller\'s metrics',
    description:
      'What the controller counts, as JSON: metadata (topics, partitions, objects, committed offsets, groups, journal), the cluster protocol (brokers, moves, fencing, suspicion), object maintenance (compaction, orphan sweep, index size) and this process (uptime, memory). Prometheus text with everything is at /metrics.',
    params: {},
    body: undefined,
    responses: { 200: '{ controller, cluster, maintenance, process }' },
    handle: async ({ ctx }) => {
      const c = ctx.controller();
      const mem = process.memoryUsage();
      return json(200, {
        controller: c.stats(),
        cluster: c.clusterStats(),
        maintenance: c.maintenanceStats(),
        process: { uptimeSeconds: Math.round(process.uptime()), rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
      });
    },
  }),
];

