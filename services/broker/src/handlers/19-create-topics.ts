// CreateTopics (API key 19), versions 0–7 (v5+ flexible; kafkajs uses v0–3).
//
// Implemented: per-topic results with ErrorMessage (v1+); ValidateOnly (v1+); NumPartitions
// -1 = the broker's default partition count; ReplicationFactor -1 or 1 (object storage keeps
// the one copy; the controller refuses others); topic configs; v5+ answers NumPartitions,
// ReplicationFactor (1) and the topic's configs with their source, read-only and sensitive
// flags, read back with controller.describeConfigs (TopicConfigErrorCode when that fails);
// TopicId (v7+). A topic named twice in one request gets INVALID_REQUEST "Duplicate topic
// name." and is not created, as in Kafka.
//
// Not implemented: manual replica assignment (Assignments) gets INVALID_REQUEST, because
// the controller places partitions itself. TimeoutMs is ignored: creation completes before
// the answer. With ValidateOnly nothing exists to describe, so v5+ reports only the
// configs the request sets (source DYNAMIC_TOPIC_CONFIG), not the defaults.
//
// The controller unavailable (controller-failure.ts): the topics sent to it get
// NOT_CONTROLLER, which admin clients retry; the others are answered as usual.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { CreateTopicsResponseCreatableTopicConfigs, CreateTopicsResponseCreatableTopicResult, Input } from '@stratus/protocol';
import type { CreateTopicRequest, CreateTopicResult, DescribeConfigsResult } from '@stratus/controller';
import type { BrokerContext } from '../broker-context.ts';
import { askController } from '../controller-failure.ts';
import { AclOperation } from '../auth/authorized-operations.ts';
import { isAllowed, mayCreateTopic } from '../auth/authorize.ts';
import { defineHandler } from '../handler.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
/** Kafka's ConfigSource for a config the topic sets itself. */
const SOURCE_DYNAMIC_TOPIC = 1;
/** The first version whose response carries partitions, replication factor and configs. */
const CONFIGS_VERSION = 5;

const ASSIGNMENTS_UNSUPPORTED =
  'Manual replica assignment is not supported: Stratus keeps one copy of each partition on object storage and places partitions itself. Set numPartitions instead.';

type TopicResult = Input<CreateTopicsResponseCreatableTopicResult>;
type TopicConfig = Input<CreateTopicsResponseCreatableTopicConfigs>;

function failed(name: string, errorCode: number, errorMessage: string | null): TopicResult {
  return { name, errorCode, errorMessage };
}

function describedConfigs(described: DescribeConfigsResult): TopicConfig[] {
  return described.entries.map((e) => ({
    name: e.name,
    value: e.sensitive ? null : e.value,
    readOnly: e.readOnly,
    configSource: e.source,
    isSensitive: e.sensitive,
  }));
}

function requestedConfigs(configs: Readonly<Record<string, string | null>>): TopicConfig[] {
  return Object.entries(configs)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => ({ name, value, readOnly: false, configSource: SOURCE_DYNAMIC_TOPIC, isSensitive: false }));
}

export function createTopicsHandler(ctx: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.CreateTopics,
    accept: [0, 7],
    handle: async (req, rctx) => {
      const withConfigs = rctx.header.apiVersion >= CONFIGS_VERSION;
      const count = new Map<string, number>();
      for (const t of req.topics) count.set(t.name, (count.get(t.name) ?? 0) + 1);

      // One entry per distinct name, in the order names first appear: answered here, or
      // to be created.
      const plan = new Map<string, { done: TopicResult } | { create: CreateTopicRequest }>();
      for (const t of req.topics) {
        if (plan.has(t.name)) continue;
        if (count.get(t.name)! > 1) plan.set(t.name, { done: failed(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.') });
        // Kafka: CREATE on the cluster or on the topic.
        else if (!mayCreateTopic(ctx.authorizer, rctx, t.name)) plan.set(t.name, { done: failed(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null) });
        else if (t.assignments.length > 0) plan.set(t.name, { done: failed(t.name, ErrorCode.INVALID_REQUEST, ASSIGNMENTS_UNSUPPORTED) });
        else {
          const configs = Object.fromEntries(t.configs.map((c) => [c.name, c.value]));
          plan.set(t.name, { create: { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, configs } });
        }
      }
      const toCreate = [...plan.values()].flatMap((p) => ('create' in p ? [p.create] : []));
      const validateOnly = req.validateOnly;
      // The controller unavailable: every topic to create gets the retriable error (it may
      // have been created all the same; a retry then answers TOPIC_ALREADY_EXISTS).
      const created =
        toCreate.length > 0
          ? await askController('admin', () => ctx.controller.createTopics(toCreate, { validateOnly }), (failed) => toCreate.map((t) => ({ name: t.name, topic: null, ...failed })))
          : [];
      const createdByName = new Map<string, CreateTopicResult>(created.map((c) => [c.name, c]));

      // v5+: read the new topics' configs back, defaults included. Failing that, the topics
      // are created all the same and say so; only their configs carry the error.
      let describedByName = new Map<string, DescribeConfigsResult>();
      let describeFailed: number | undefined;
      if (withConfigs && !validateOnly) {
        const names = created.filter((c) => c.errorCode === ErrorCode.NONE).map((c) => c.name);
        if (names.length > 0) {
          const described = await askController(
            'admin',
            () => ctx.controller.describeConfigs(names.map((name) => ({ type: 'topic' as const, name, keys: null }))),
            (failed) => {
              describeFailed = failed.errorCode;
              return [];
            },
          );
          describedByName = new Map(described.filter((d) => d.resourceType === 'topic').map((d) => [d.resourceName, d]));
        }
      }

      const topics = [...plan.entries()].map(([name, p]): TopicResult => {
        if ('done' in p) return p.done;
        const v = p.create;
        const result = createdByName.get(name);
        if (result === undefined) return failed(name, ErrorCode.UNKNOWN_SERVER_ERROR, 'The controller returned no result for this topic.');
        if (result.errorCode !== ErrorCode.NONE) return failed(name, result.errorCode, result.errorMessage);
        const topic = result.topic;
        const out: TopicResult = {
          name,
          topicId: topic?.topicId ?? ZERO_UUID,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: topic?.partitions.length ?? (v.numPartitions === -1 ? ctx.config.defaultPartitions : v.numPartitions),
          replicationFactor: 1,
        };
        if (!withConfigs) return out;
        // Kafka: the created topic's configs only for who may DESCRIBE_CONFIGS it.
        if (!isAllowed(ctx.authorizer, rctx, AclOperation.DESCRIBE_CONFIGS, 'topic', name)) return { ...out, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, configs: [] };
        if (validateOnly) return { ...out, configs: requestedConfigs(topic?.configs ?? v.configs) };
        const described = describedByName.get(name);
        if (described === undefined || described.errorCode !== ErrorCode.NONE) {
          return { ...out, topicConfigErrorCode: described?.errorCode ?? describeFailed ?? ErrorCode.UNKNOWN_SERVER_ERROR, configs: [] };
        }
        return { ...out, configs: describedConfigs(described) };
      });
      return { throttleTimeMs: 0, topics };
    },
  });
}
