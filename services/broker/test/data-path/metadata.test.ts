// Metadata (API 3) through the dispatcher of a real broker: which topics are listed,
// auto-creation, topic ids and leader epochs — what every client asks first and what
// decides where it sends produce and fetch requests.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import type { MetadataResponse } from '@stratus/protocol';
import { DataPathWorld, NODE_ID } from './support/world.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

async function metadata(
  w: DataPathWorld,
  version: number,
  topics: readonly { name: string | null; topicId?: string }[] | null,
  allowAutoTopicCreation = true,
): Promise<MetadataResponse> {
  return w.call(ApiKey.Metadata, version, {
    topics: topics === null ? null : topics.map((t) => ({ name: t.name, topicId: t.topicId ?? ZERO_UUID })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

const named = (...names: string[]) => names.map((name) => ({ name }));
const summary = (r: MetadataResponse) => r.topics.map((t) => `${t.name}:${errorName(t.errorCode)}`);

describe('Metadata (auto-create off)', () => {
  let world: DataPathWorld;
  beforeAll(async () => {
    world = await DataPathWorld.open({ topicsBeforeRegistration: [{ name: 'md-epoch-one', partitions: 2 }] });
    await world.createTopic('md-a', 3);
    await world.createTopic('md-b', 1);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('lists every supported operation when asked and no authorizer is configured (Kafka without an authorizer)', async () => {
    const TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);
    const CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);
    for (const version of [8, 10, 12]) {
      const asked = await world.call(ApiKey.Metadata, version, {
        topics: [{ name: 'md-a', topicId: ZERO_UUID }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: true,
        includeTopicAuthorizedOperations: true,
      });
      expect(asked.topics.map((t) => t.topicAuthorizedOperations), `v${version}`).toEqual([TOPIC_OPERATIONS]);
      // The cluster field exists in v8–10 only.
      expect(asked.clusterAuthorizedOperations, `v${version}`).toBe(version <= 10 ? CLUSTER_OPERATIONS : -2147483648);
      const quiet = await metadata(world, version, named('md-a'), false);
      expect(quiet.topics[0]!.topicAuthorizedOperations).toBe(-2147483648);
      expect(quiet.clusterAuthorizedOperations).toBe(-2147483648);
    }
  });

  it('null lists every topic, with this broker as leader of every partition', async () => {
    const r = await metadata(world, 12, null);
    expect(r.topics.map((t) => t.name).sort()).toEqual(['md-a', 'md-b', 'md-epoch-one']);
    const a = r.topics.find((t) => t.name === 'md-a')!;
    expect(a.partitions.map((p) => [p.partitionIndex, p.leaderId, errorName(p.errorCode)])).toEqual([
      [0, NODE_ID, 'NONE'],
      [1, NODE_ID, 'NONE'],
      [2, NODE_ID, 'NONE'],
    ]);
    expect(a.partitions[0]!.replicaNodes).toEqual([NODE_ID]);
    expect(a.partitions[0]!.isrNodes).toEqual([NODE_ID]);
    expect(r.brokers).toEqual([{ nodeId: NODE_ID, host: '127.0.0.1', port: 9092, rack: null }]);
    expect(r.controllerId).toBe(NODE_ID);
    expect(r.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('v0: an empty list means every topic; v1+: an empty list means none', async () => {
    expect((await metadata(world, 0, [])).topics).toHaveLength(3);
    for (const version of [1, 4, 9, 12]) expect((await metadata(world, version, [])).topics, `v${version}`).toEqual([]);
  });

  it('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and is not created', async () => {
    const r = await metadata(world, 12, named('md-a', 'md-unknown'));
    expect(summary(r)).toEqual(['md-a:NONE', 'md-unknown:UNKNOWN_TOPIC_OR_PARTITION']);
    expect(world.topic('md-unknown')).toBeUndefined();
  });

  it('topic ids from v10 (the zero id before), leader epochs from v7 (-1 before)', async () => {
    const info = world.topic('md-a')!;
    const v12 = (await metadata(world, 12, named('md-a', 'md-epoch-one'))).topics;
    expect(v12.map((t) => t.topicId)).toEqual([info.topicId, world.topic('md-epoch-one')!.topicId]);
    expect(v12[0]!.partitions.map((p) => p.leaderEpoch)).toEqual([0, 0, 0]);
    expect(v12[1]!.partitions.map((p) => p.leaderEpoch)).toEqual([1, 1]);
    const v10 = (await metadata(world, 10, named('md-a'))).topics[0]!;
    expect(v10.topicId).toBe(info.topicId);
    const v9 = (await metadata(world, 9, named('md-epoch-one'))).topics[0]!;
    expect(v9.topicId).toBe(ZERO_UUID);
    expect(v9.partitions.map((p) => p.leaderEpoch)).toEqual([1, 1]);
    const v6 = (await metadata(world, 6, named('md-epoch-one'))).topics[0]!;
    expect(v6.partitions.map((p) => p.leaderEpoch)).toEqual([-1, -1]);
  });

  it('v12: topics asked by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const info = world.topic('md-b')!;
    const r = await metadata(world, 12, [
      { name: null, topicId: info.topicId },
      { name: null, topicId: 'ABEiM0RVZneImaq7zN3u_w' },
    ]);
    expect(r.topics.map((t) => [t.name, t.topicId, errorName(t.errorCode)])).toEqual([
      ['md-b', info.topicId, 'NONE'],
      [null, 'ABEiM0RVZneImaq7zN3u_w', 'UNKNOWN_TOPIC_ID'],
    ]);
  });

  // BUG (reported): Kafka answers an invalid topic name with INVALID_TOPIC_EXCEPTION
  // whether or not it would auto-create (KafkaApis.getTopicMetadata validates the name
  // with Topic.validate). The Java producer then fails the send at once with
  // InvalidTopicException; with UNKNOWN_TOPIC_OR_PARTITION it retries until max.block.ms.
  it('an invalid topic name is INVALID_TOPIC_EXCEPTION even with auto-create off', async () => {
    const r = await metadata(world, 12, named('bad/name', 'x'.repeat(250)));
    expect(summary(r)).toEqual(['bad/name:INVALID_TOPIC_EXCEPTION', `${'x'.repeat(250)}:INVALID_TOPIC_EXCEPTION`]);
  });
});

describe('Metadata (auto-create on)', () => {
  let world: DataPathWorld;
  beforeAll(async () => {
    world = await DataPathWorld.open({ broker: { autoCreateTopics: true, defaultPartitions: 2 } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('v4+: creates an unknown topic when allowAutoTopicCreation is true, ready to use', async () => {
    const r = await metadata(world, 12, named('auto-1'), true);
    expect(summary(r)).toEqual(['auto-1:NONE']);
    const t = r.topics[0]!;
    expect(t.topicId).toBe(world.topic('auto-1')!.topicId);
    expect(t.partitions.map((p) => [p.partitionIndex, p.leaderId, p.leaderEpoch])).toEqual([
      [0, NODE_ID, 0],
      [1, NODE_ID, 0],
    ]);
  });

  it('v4+: does not create it when allowAutoTopicCreation is false', async () => {
    const r = await metadata(world, 12, named('auto-2'), false);
    expect(summary(r)).toEqual(['auto-2:UNKNOWN_TOPIC_OR_PARTITION']);
    expect(world.topic('auto-2')).toBeUndefined();
  });

  it('v1-v3 always create (the flag does not exist before v4)', async () => {
    const r = await metadata(world, 3, named('auto-3'), false);
    expect(summary(r)).toEqual(['auto-3:NONE']);
    expect(world.topic('auto-3')?.partitions).toHaveLength(2);
  });

  it('an invalid topic name is INVALID_TOPIC_EXCEPTION; the valid ones of the request are created', async () => {
    const r = await metadata(world, 12, named('bad/name', 'auto-4', '..'));
    expect(summary(r)).toEqual(['bad/name:INVALID_TOPIC_EXCEPTION', 'auto-4:NONE', '..:INVALID_TOPIC_EXCEPTION']);
    expect(world.topic('auto-4')).toBeDefined();
  });

  it('asking for the same unknown topic twice creates it once', async () => {
    const [a, b] = await Promise.all([metadata(world, 12, named('auto-5')), metadata(world, 12, named('auto-5', 'auto-5'))]);
    expect(summary(a)).toEqual(['auto-5:NONE']);
    expect(summary(b)).toEqual(['auto-5:NONE', 'auto-5:NONE']);
    expect(world.controller.metadata().topics.filter((t) => t.name === 'auto-5')).toHaveLength(1);
  });
});
