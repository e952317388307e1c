// CreatePartitions (API key 37), versions 0–3 (v2+ flexible; kafkajs uses v0–1).
//
// Implemented: raising a topic's partition count to Count (controller.createPartitions:
// UNKNOWN_TOPIC_OR_PARTITION for an unknown topic, INVALID_PARTITIONS for a count that does
// not grow it), ValidateOnly, per-topic results with messages. A topic named twice gets
// INVALID_REQUEST "Duplicate topic name." and is left alone, as in Kafka.
//
// The controller unavailable (controller-failure.ts): the topics sent to it get
// NOT_CONTROLLER, which admin clients retry.
//
// Not implemented: manual placement of the new partitions (a non-empty Assignments) gets
// INVALID_REQUEST, because the controller places partitions itself. TimeoutMs is ignored
// (the change completes before the answer).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { CreatePartitionsResponseCreatePartitionsTopicResult, Input } from '@stratus/protocol';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';

type TopicResult = Input<CreatePartitionsResponseCreatePartitionsTopicResult>;

const ASSIGNMENTS_UNSUPPORTED = 'Manual partition assignment is not supported: Stratus places partitions itself. Send assignments as null.';

export function createPartitionsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.CreatePartitions,
    accept: [0, 3],
    handle: async (req, rctx) => {
      const count = new Map<string, number>();
      for (const t of req.topics) count.set(t.name, (count.get(t.name) ?? 0) + 1);

      // One entry per distinct name, in the order names first appear.
      const plan = new Map<string, { done: TopicResult } | { count: number }>();
      for (const t of req.topics) {
        if (plan.has(t.name)) continue;
        if (count.get(t.name)! > 1) plan.set(t.name, { done: { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' } });
        // Kafka: ALTER on the topic.
        else if (!isAllowed(ctx.authorizer, rctx, AclOperation.ALTER, 'topic', t.name)) plan.set(t.name, { done: { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null } });
        // Clients without assignments send null; an empty list asks for nothing either.
        else if (t.assignments !== null && t.assignments.length > 0) {
          plan.set(t.name, { done: { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: ASSIGNMENTS_UNSUPPORTED } });
        } else plan.set(t.name, { count: t.count });
      }

      const ask = [...plan.entries()].flatMap(([name, p]) => ('count' in p ? [{ name, count: p.count }] : []));
      const answers =
        ask.length > 0
          ? await askController('admin', () => ctx.controller.createPartitions(ask, { validateOnly: req.validateOnly }), (failed) => ask.map((a) => ({ name: a.name, ...failed })))
          : [];
      const byName = new Map(answers.map((a) => [a.name, a]));

      const results = [...plan.entries()].map(([name, p]): TopicResult => {
        if ('done' in p) return p.done;
        const a = byName.get(name);
        if (a === undefined) return { name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this topic.' };
        return { name, errorCode: a.errorCode, errorMessage: a.errorMessage };
      });
      return { throttleTimeMs: 0, results };
    },
  });
}
