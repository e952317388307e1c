// Rebalance routes: POST starts leadership moves with a bound on how many are under way at
// once (rebalance-runner.ts), or with dryRun only checks them; GET shows the running or
// last rebalance. Moves are checked before anything starts: an unknown topic or
// partition, or a target broker that is not live and undrained, refuses the whole request
// (400, each bad move named), so a rebalance never half-starts on a typo.

import type { Controller } from '@stratus/controller';
import { API_PREFIX } from './constants.ts';
import { ApiProblem } from './problem.ts';
import { rebalanceResponse, startRebalanceResponse } from './responses.ts';
import { json, route } from './route.ts';
import type { Route } from './route.ts';
import { rebalanceBody } from './schemas.ts';
import type { RebalanceBody } from './schemas.ts';

interface PlannedMove {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

function plan(c: Controller, body: RebalanceBody): { moves: PlannedMove[]; errors: { path: string; message: string }[] } {
  const meta = c.metadata();
  const topics = new Map(meta.topics.map((t) => [t.name, t]));
  const eligible = new Set(meta.brokers.filter((b) => !b.fenced && !b.draining).map((b) => b.nodeId));
  const seen = new Set<string>();
  const errors: { path: string; message: string }[] = [];
  const moves: PlannedMove[] = [];
  body.moves.forEach((m, i) => {
    const path = `moves.${i}`;
    const t = topics.get(m.topic);
    const p = t?.partitions[m.partition];
    const key = `${m.topic}/${m.partition}`;
    if (t === undefined) errors.push({ path: `${path}.topic`, message: `no topic named ${m.topic}` });
    else if (p === undefined) errors.push({ path: `${path}.partition`, message: `topic ${m.topic} has ${t.partitions.length} partition(s)` });
    else if (seen.has(key)) errors.push({ path, message: `${key} is named more than once` });
    else if (!eligible.has(m.to)) errors.push({ path: `${path}.to`, message: `broker ${m.to} is not a live, undrained broker` });
    else moves.push({ topic: m.topic, topicId: t.topicId, partition: m.partition, from: p.leader, to: m.to });
    seen.add(key);
  });
  return { moves, errors };
}

export const rebalanceRoutes: readonly Route[] = [
  route({
    method: 'POST',
    path: `${API_PREFIX}/rebalance`,
    operationId: 'startRebalance',
    response: startRebalanceResponse,
    summary: 'Move partition leadership, a bounded number of moves at a time',
    description:
      'Starts the moves (202, with the rebalance to poll at GET /api/v1/rebalance) in waves of at most maxConcurrentMoves, in the order given; the next wave starts when the last has ended. ' +
      'The controller keeps leadership even, so moves that keep it even only together (the halves of a swap) belong in the same wave. ' +
      'dryRun: only checks the moves and answers the plan (200). One rebalance at a time: 409 while one runs.',
    params: {},
    body: rebalanceBody,
    responses: { 202: 'Started: the rebalance', 200: 'dryRun: the plan' },
    handle: async ({ ctx, body }) => {
      const c = ctx.controller();
      const { moves, errors } = plan(c, body);
      if (errors.length > 0) throw new ApiProblem('bad-request', `${errors.length} move(s) cannot be made: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
      const shown = moves.map(({ topicId: _, ...m }) => m);
      if (body.dryRun) return json(200, { dryRun: true, maxConcurrentMoves: body.maxConcurrentMoves, moves: shown });
      if (ctx.rebalances.running) throw new ApiProblem('conflict', `a rebalance is running (GET ${API_PREFIX}/rebalance shows it): wait for it to end`);
      const started = ctx.rebalances.start(moves, { maxConcurrentMoves: body.maxConcurrentMoves, timeoutMs: body.timeoutMs });
      return json(202, started, { location: `${API_PREFIX}/rebalance` });
    },
  }),
  route({
    method: 'GET',
    path: `${API_PREFIX}/rebalance`,
    operationId: 'getRebalance',
    response: rebalanceResponse,
    summary: 'The running or last rebalance',
    description: 'State running, finished, timed-out or stopped; each move pending, moving, done or failed (with why).',
    params: {},
    body: undefined,
    responses: { 200: 'The rebalance' },
    handle: async ({ ctx }) => {
      ctx.controller();
      const v = ctx.rebalances.view();
      if (v === undefined) throw new ApiProblem('not-found', `no rebalance has run on this controller since it started (POST ${API_PREFIX}/rebalance starts one)`);
      return json(200, v);
    },
  }),
];
