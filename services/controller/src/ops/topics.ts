// Decisions of CreateTopics, DeleteTopics and CreatePartitions, with Kafka's error codes
// and, where it helps, Kafka's own messages (tools print them). Each item is decided on
// the state the previous items left, so "a.b" and "a_b" in one request collide too.

import { ErrorCode } from '@stratus/protocol';
import type { CreateTopicRequest, CreateTopicResult, ItemResult, TopicInfo } from '../controller-api.ts';
import { validateTopicConfigs } from '../config/topic-configs.ts';
import { topicByName } from '../state/state.ts';
import { ZERO_UUID, isUuid, randomUuid } from '../topics/ids.ts';
import { collisionKey, isInternalTopic, topicNameProblem } from '../topics/topic-names.ts';
import { newPartitionLeaders } from './leadership.ts';
import { topicInfo } from './metadata-view.ts';
import type { DecideContext, Tx } from './tx.ts';

const OK: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function fail(errorCode: number, errorMessage: string): ItemResult {
  return { errorCode, errorMessage };
}

/** `suspects`: brokers suspected of being gone, given no new partitions (cluster-timers.ts). */
export function decideCreateTopics(tx: Tx, ctx: DecideContext, requests: readonly CreateTopicRequest[], validateOnly: boolean, suspects: ReadonlySet<number>): CreateTopicResult[] {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  // Topics and partitions this call would add in validateOnly mode, where nothing is applied.
  let pendingTopics = 0;
  let pendingPartitions = 0;
  return requests.map((r): CreateTopicResult => {
    if ((counts.get(r.name) ?? 0) > 1) {
      return { name: r.name, topic: null, ...fail(ErrorCode.INVALID_REQUEST, `Create topics request contains multiple entries for topic ${r.name}`) };
    }
    const checked = checkCreate(tx, ctx, r, pendingTopics, pendingPartitions);
    if ('errorCode' in checked) return { name: r.name, topic: null, ...checked };
    const { numPartitions, configs } = checked;
    if (validateOnly) {
      pendingTopics++;
      pendingPartitions += numPartitions;
      const topic: TopicInfo = {
        name: r.name,
        topicId: ZERO_UUID,
        partitions: newPartitionLeaders(tx.state, r.name, 0, numPartitions, suspects).map((l, partition) => ({ partition, ...l })),
        configs,
        internal: isInternalTopic(r.name),
      };
      return { name: r.name, topic, ...OK };
    }
    const topicId = randomUuid(ctx.random, (id) => tx.state.topics.has(id));
    tx.emit({ type: 'TopicCreated', name: r.name, topicId, configs, partitions: newPartitionLeaders(tx.state, topicId, 0, numPartitions, suspects) });
    return { name: r.name, topic: topicInfo(tx.state.topics.get(topicId)!), ...OK };
  });
}

function checkCreate(
  tx: Tx,
  ctx: DecideContext,
  r: CreateTopicRequest,
  pendingTopics: number,
  pendingPartitions: number,
): ItemResult | { numPartitions: number; configs: Readonly<Record<string, string>> } {
  const s = tx.state;
  const problem = topicNameProblem(r.name);
  if (problem !== undefined) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  if (s.topicIds.has(r.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${r.name}' already exists.`);
  const collides = s.collisionKeys.get(collisionKey(r.name));
  if (collides !== undefined) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic '${r.name}' collides with existing topic: ${collides} ('.' and '_' are the same in metric names)`);
  // A cluster-wide cap, not a fault of the request: Kafka's code for a create its
  // policy refuses (kafka-topics and the admin clients print the message).
  if (s.topics.size + pendingTopics >= ctx.options.maxTopics) {
    return fail(ErrorCode.POLICY_VIOLATION, `The cluster has ${s.topics.size + pendingTopics} topics, its limit (maxTopics): delete unused topics first.`);
  }
  const numPartitions = r.numPartitions === -1 ? ctx.options.broker.numPartitions : r.numPartitions;
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions must be larger than 0 (or -1 for the default), got ${r.numPartitions}.`);
  if (numPartitions > ctx.options.maxPartitionsPerTopic) {
    return fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} exceeds the maximum of ${ctx.options.maxPartitionsPerTopic} per topic.`);
  }
  if (s.partitionCount + pendingPartitions + numPartitions > ctx.options.maxPartitions) {
    return fail(ErrorCode.INVALID_PARTITIONS, `Creating ${numPartitions} partitions would exceed the cluster's limit of ${ctx.options.maxPartitions} partitions (${s.partitionCount} exist).`);
  }
  if (r.replicationFactor !== -1 && r.replicationFactor !== 1) {
    return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor must be 1 or -1, got ${r.replicationFactor}: Stratus keeps one copy in object storage, which replicates it underneath.`);
  }
  const configs = validateTopicConfigs(r.configs, ErrorCode.INVALID_CONFIG, ctx.options);
  if (!configs.ok) return fail(configs.errorCode, configs.errorMessage);
  return { numPartitions, configs: configs.configs };
}

export function decideDeleteTopics(tx: Tx, topics: readonly { name?: string; topicId?: string }[]): (ItemResult & { name: string | null; topicId: string })[] {
  return topics.map((ref) => {
    // A topic id wins when both are given (DeleteTopics v6+ sends one or the other).
    if (ref.topicId !== undefined && ref.topicId !== ZERO_UUID) {
      const t = isUuid(ref.topicId) ? tx.state.topics.get(ref.topicId) : undefined;
      if (t === undefined) return { name: null, topicId: ref.topicId, ...fail(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${ref.topicId} does not exist.`) };
      tx.emit({ type: 'TopicDeleted', topicId: t.topicId });
      return { name: t.name, topicId: t.topicId, ...OK };
    }
    if (ref.name === undefined) return { name: null, topicId: ZERO_UUID, ...fail(ErrorCode.INVALID_REQUEST, 'Neither a topic name nor a topic id was given.') };
    const t = topicByName(tx.state, ref.name);
    if (t === undefined) return { name: ref.name, topicId: ZERO_UUID, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${ref.name}' does not exist.`) };
    tx.emit({ type: 'TopicDeleted', topicId: t.topicId });
    return { name: t.name, topicId: t.topicId, ...OK };
  });
}

export function decideCreatePartitions(tx: Tx, ctx: DecideContext, requests: readonly { name: string; count: number }[], validateOnly: boolean, suspects: ReadonlySet<number>): (ItemResult & { name: string })[] {
  let pendingPartitions = 0;
  return requests.map((r) => {
    const t = topicByName(tx.state, r.name);
    if (t === undefined) return { name: r.name, ...fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${r.name}' does not exist.`) };
    const current = t.partitions.length;
    if (!Number.isInteger(r.count) || r.count < current) {
      return { name: r.name, ...fail(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${r.count}.`) };
    }
    if (r.count === current) return { name: r.name, ...fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`) };
    if (r.count > ctx.options.maxPartitionsPerTopic) {
      return { name: r.name, ...fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${r.count} exceeds the maximum of ${ctx.options.maxPartitionsPerTopic} per topic.`) };
    }
    const added = r.count - current;
    if (tx.state.partitionCount + pendingPartitions + added > ctx.options.maxPartitions) {
      return { name: r.name, ...fail(ErrorCode.INVALID_PARTITIONS, `Adding ${added} partitions would exceed the cluster's limit of ${ctx.options.maxPartitions} partitions.`) };
    }
    if (validateOnly) {
      pendingPartitions += added;
      return { name: r.name, ...OK };
    }
    tx.emit({ type: 'PartitionsAdded', topicId: t.topicId, partitions: newPartitionLeaders(tx.state, t.topicId, current, added, suspects) });
    return { name: r.name, ...OK };
  });
}
