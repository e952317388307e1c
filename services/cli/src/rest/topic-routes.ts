// Topic routes: list, create, describe (partitions with leaders and offsets, configs with
// their source), update configs, delete — the controller's createTopics, describeConfigs,
// incrementalAlterConfigs and deleteTopics, which Kafka's admin requests use too, so a
// topic made here is the same as one made with kafka-topics.sh.

import type { Controller, TopicInfo } from '@stratus/controller';
import { API_PREFIX } from './constants.ts';
import { ApiProblem, kafkaProblem } from './problem.ts';
import { alterConfigsResponse, createTopicResponse, deleteTopicResponse, topicResponse, topicsResponse } from './responses.ts';
import { json, route } from './route.ts';
import type { Route } from './route.ts';
import { alterTopicConfigsBody, createTopicBody, topicParam } from './schemas.ts';

/** Kafka's ConfigSource numbers as words. */
const CONFIG_SOURCE: Readonly<Record<number, string>> = { 1: 'topic', 4: 'broker', 5: 'default' };

export function topicNamed(controller: Controller, name: string): TopicInfo {
  const t = controller.metadata().topics.find((x) => x.name === name);
  if (t === undefined) throw new ApiProblem('not-found', `no topic named ${name} (GET ${API_PREFIX}/topics lists them)`);
  return t;
}

async function describeTopic(controller: Controller, t: TopicInfo): Promise<Record<string, unknown>> {
  const partitions = await Promise.all(
    t.partitions.map(async (p) => {
      const tp = { topicId: t.topicId, partition: p.partition };
      const [logStartOffset, endOffset] = await Promise.all([controller.logStartOffset(tp), controller.committedEndOffset(tp)]);
      return { partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, movingTo: p.movingTo ?? null, logStartOffset, endOffset };
    }),
  );
  const [described] = await controller.describeConfigs([{ type: 'topic', name: t.name, keys: null }]);
  if (described === undefined || described.errorCode !== 0) throw kafkaProblem(described ?? { errorCode: -1, errorMessage: 'no answer' }, `configs of topic ${t.name}`);
  const configs = described.entries.map((e) => ({ name: e.name, value: e.sensitive ? null : e.value, source: CONFIG_SOURCE[e.source] ?? String(e.source), readOnly: e.readOnly, sensitive: e.sensitive }));
  return { name: t.name, topicId: t.topicId, internal: t.internal, partitions, configs };
}

export const topicRoutes: readonly Route[] = [
  route({
    method: 'GET',
    path: `${API_PREFIX}/topics`,
    operationId: 'listTopics',
    response: topicsResponse,
    summary: 'Topics',
    description: 'Every topic with its id, partition count and the configs set on it (defaults left out; describe a topic for all).',
    params: {},
    body: undefined,
    responses: { 200: '{ topics: [...] }' },
    handle: async ({ ctx }) => {
      const topics = ctx
        .controller()
        .metadata()
        .topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, internal: t.internal, configs: t.configs }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return json(200, { topics });
    },
  }),
  route({
    method: 'POST',
    path: `${API_PREFIX}/topics`,
    operationId: 'createTopic',
    response: createTopicResponse,
    summary: 'Create a topic',
    params: {},
    body: createTopicBody,
    responses: { 201: 'Created: the topic', 200: 'validateOnly: it could be created' },
    handle: async ({ ctx, body }) => {
      const c = ctx.controller();
      const [r] = await c.createTopics([{ name: body.name, numPartitions: body.partitions ?? -1, replicationFactor: -1, configs: body.configs ?? {} }], { validateOnly: body.validateOnly });
      if (r === undefined || r.errorCode !== 0) throw kafkaProblem(r ?? { errorCode: -1, errorMessage: 'no answer' }, `create topic ${body.name}`);
      if (body.validateOnly) return json(200, { name: body.name, validateOnly: true, created: false });
      const location = `${API_PREFIX}/topics/${encodeURIComponent(body.name)}`;
      return json(201, await describeTopic(c, topicNamed(c, body.name)), { location });
    },
  }),
  route({
    method: 'GET',
    path: `${API_PREFIX}/topics/{topic}`,
    operationId: 'describeTopic',
    response: topicResponse,
    summary: 'Describe a topic',
    description: 'Its partitions (leader, leader epoch, a move under way, log start and committed end offsets) and every config with its source (topic, broker or default).',
    params: { topic: topicParam },
    body: undefined,
    responses: { 200: 'The topic' },
    handle: async ({ ctx, params }) => {
      const c = ctx.controller();
      return json(200, await describeTopic(c, topicNamed(c, params.topic)));
    },
  }),
  route({
    method: 'PATCH',
    path: `${API_PREFIX}/topics/{topic}/configs`,
    operationId: 'alterTopicConfigs',
    response: alterConfigsResponse,
    summary: 'Update a topic\'s configs',
    description: 'Sets the configs named (null removes the topic\'s value, so the default applies); others are left as they are. Answers the configs after the change.',
    params: { topic: topicParam },
    body: alterTopicConfigsBody,
    responses: { 200: 'The topic\'s configs after the change (before it, with validateOnly)' },
    handle: async ({ ctx, params, body }) => {
      const c = ctx.controller();
      const t = topicNamed(c, params.topic);
      const ops = Object.entries(body.configs).map(([name, value]) => (value === null ? { name, op: 'delete' as const, value: null } : { name, op: 'set' as const, value }));
      const [r] = await c.incrementalAlterConfigs([{ type: 'topic', name: t.name, ops }], { validateOnly: body.validateOnly });
      if (r === undefined || r.errorCode !== 0) throw kafkaProblem(r ?? { errorCode: -1, errorMessage: 'no answer' }, `configs of topic ${t.name}`);
      const described = await describeTopic(c, topicNamed(c, t.name));
      return json(200, { name: t.name, validateOnly: body.validateOnly, configs: described['configs'] });
    },
  }),
  route({
    method: 'DELETE',
    path: `${API_PREFIX}/topics/{topic}`,
    operationId: 'deleteTopic',
    response: deleteTopicResponse,
    summary: 'Delete a topic',
    description: 'Its partitions go at once, with the group offsets committed for them; its objects are collected later.',
    params: { topic: topicParam },
    body: undefined,
    responses: { 200: 'Deleted' },
    handle: async ({ ctx, params }) => {
      const c = ctx.controller();
      const t = topicNamed(c, params.topic);
      const [r] = await c.deleteTopics([{ topicId: t.topicId }]);
      if (r === undefined || r.errorCode !== 0) throw kafkaProblem(r ?? { errorCode: -1, errorMessage: 'no answer' }, `delete topic ${t.name}`);
      return json(200, { name: t.name, topicId: t.topicId, deleted: true });
    },
  }),
];
