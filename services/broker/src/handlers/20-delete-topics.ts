// DeleteTopics (API key 20), versions 0–6 (v4+ flexible; kafkajs uses v0–1).
//
// Implemented: deletion by name (v0–5 TopicNames; v6 Topics with a name) and by topic id
// (v6 Topics with a null name); per-topic results with ErrorMessage (v5+) and TopicId
// (v6). Requests are screened as Kafka's ControllerApis.deleteTopics screens them, with its
// messages: an entry with neither name nor id, or with both, a name or id given twice, a
// name whose topic's id is also given; all INVALID_REQUEST for that entry only. An unknown
// name is UNKNOWN_TOPIC_OR_PARTITION and an unknown id UNKNOWN_TOPIC_ID (the controller's
// answers). The partitions' data is removed by the controller; objects are collected later.
//
// The controller unavailable (controller-failure.ts): the topics sent to it get
// NOT_CONTROLLER, which admin clients retry; entries refused here are answered as usual.
//
// Not implemented: TimeoutMs is ignored (deletion completes before the answer).

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { DeleteTopicsResponseDeletableTopicResult, Input } from '@stratus/protocol';
import type { ItemResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** The first version that names topics by DeleteTopicState (name or id). */
const TOPIC_STATE_VERSION = 6;

type TopicResult = Input<DeleteTopicsResponseDeletableTopicResult>;
type Slot = { readonly done: TopicResult } | { readonly name: string } | { readonly topicId: string };

function invalid(name: string | null, topicId: string, errorMessage: string): Slot {
  return { done: { name, topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage } };
}

function counts(values: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

export function deleteTopicsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DeleteTopics,
    accept: [0, 6],
    handle: async (req, rctx) => {
      const entries: readonly { name: string | null; topicId: string }[] =
        rctx.header.apiVersion >= TOPIC_STATE_VERSION ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));

      const byName = entries.filter((e) => e.name !== null && e.topicId === ZERO_UUID).map((e) => e.name!);
      const byId = entries.filter((e) => e.name === null && e.topicId !== ZERO_UUID).map((e) => e.topicId);
      const nameCount = counts(byName);
      const idCount = counts(byId);

      // One slot per entry in request order; a duplicated name or id is answered once.
      const reported = new Set<string>();
      const slots: Slot[] = [];
      for (const { name, topicId } of entries) {
        if (name === null && topicId === ZERO_UUID) slots.push(invalid(null, ZERO_UUID, 'Neither topic name nor id were specified.'));
        else if (name !== null && topicId !== ZERO_UUID) slots.push(invalid(name, topicId, 'You may not specify both topic name and topic id.'));
        else if (name === null) {
          if (idCount.get(topicId)! === 1) slots.push({ topicId });
          else if (!reported.has(`id:${topicId}`)) {
            reported.add(`id:${topicId}`);
            slots.push(invalid(null, topicId, 'Duplicate topic id.'));
          }
        } else if (nameCount.get(name)! === 1) slots.push({ name });
        else if (!reported.has(`name:${name}`)) {
          reported.add(`name:${name}`);
          slots.push(invalid(name, ZERO_UUID, 'Duplicate topic name.'));
        }
      }

      // A name that resolves to an id the request also gives would delete one topic twice.
      const catalog = ctx.catalog();
      const ids = new Set(slots.flatMap((s) => ('topicId' in s ? [s.topicId] : [])));
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i]!;
        if (!('name' in s)) continue;
        const topicId = catalog.topic(s.name)?.topicId;
        if (topicId !== undefined && ids.has(topicId)) slots[i] = invalid(s.name, topicId, 'The provided topic name maps to an ID that was already supplied.');
      }

      // Kafka (ControllerApis.deleteTopics): a name needs DELETE on it (TOPIC_AUTHORIZATION_FAILED); an id
      // names a topic only for who may DESCRIBE it (else UNKNOWN_TOPIC_ID, as for an unknown id) and needs DELETE.
      if (ctx.authorizer !== undefined) {
        const can = (op: typeof AclOperation.DELETE | typeof AclOperation.DESCRIBE, topic: string): boolean => isAllowed(ctx.authorizer, rctx, op, 'topic', topic);
        for (let i = 0; i < slots.length; i++) {
          const s = slots[i]!;
          if ('name' in s) {
            if (!can(AclOperation.DELETE, s.name)) slots[i] = { done: { name: s.name, topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null } };
          } else if ('topicId' in s) {
            const name = catalog.topicById(s.topicId)?.name;
            if (name === undefined || !can(AclOperation.DESCRIBE, name)) slots[i] = { done: { name: null, topicId: s.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: null } };
            else if (!can(AclOperation.DELETE, name)) slots[i] = { done: { name, topicId: s.topicId, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null } };
          }
        }
      }

      const ask = slots.flatMap((s): { name?: string; topicId?: string }[] => ('name' in s ? [{ name: s.name }] : 'topicId' in s ? [{ topicId: s.topicId }] : []));
      const answers =
        ask.length > 0
          ? await askController('admin', () => ctx.controller.deleteTopics(ask), (failed) =>
              ask.map((a) => ({ name: a.name ?? null, topicId: a.topicId ?? (a.name !== undefined ? catalog.topic(a.name)?.topicId : undefined) ?? ZERO_UUID, ...failed })),
            )
          : [];
      const answerByName = new Map(answers.filter((a) => a.name !== null).map((a) => [a.name!, a]));
      const answerById = new Map(answers.map((a) => [a.topicId, a]));

      const missing: ItemResult = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The controller returned no result for this topic.' };
      const responses = slots.map((s): TopicResult => {
        if ('done' in s) return s.done;
        if ('name' in s) {
          const a = answerByName.get(s.name);
          // The name is always the requested one: v0–5 cannot carry a null name.
          return { name: s.name, topicId: a?.topicId ?? catalog.topic(s.name)?.topicId ?? ZERO_UUID, ...pick(a ?? missing) };
        }
        const a = answerById.get(s.topicId);
        return { name: a?.name ?? null, topicId: s.topicId, ...pick(a ?? missing) };
      });
      return { throttleTimeMs: 0, responses };
    },
  });
}

function pick(r: ItemResult): ItemResult {
  return { errorCode: r.errorCode, errorMessage: r.errorMessage };
}
