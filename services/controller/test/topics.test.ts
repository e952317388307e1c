// CreateTopics, DeleteTopics and CreatePartitions: Kafka's validation rules and error
// codes, topic ids, leadership spread and epochs, metadata versions and watch.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ZERO_UUID } from '../src/index.ts';
import type { ClusterMetadata, CreateTopicRequest } from '../src/index.ts';
import { BROKER_1, BROKER_2, commitOf, createTopic, extent, openHarness } from './support/helpers.ts';

function req(name: string, numPartitions = 1, extra: Partial<CreateTopicRequest> = {}): CreateTopicRequest {
  return { name, numPartitions, replicationFactor: -1, configs: {}, ...extra };
}

describe('createTopics', () => {
  it('creates a topic with a fresh 22-character id, partitions led by the registered broker', async () => {
    const { controller } = await openHarness();
    await controller.registerBroker(BROKER_1);
    const [r] = await controller.createTopics([req('orders', 3, { configs: { 'retention.ms': '1000' } })], { validateOnly: false });
    expect(r).toMatchObject({ name: 'orders', errorCode: ErrorCode.NONE, errorMessage: null });
    const topic = r!.topic!;
    expect(topic.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(topic.topicId).not.toBe(ZERO_UUID);
    expect(topic.partitions).toEqual([0, 1, 2].map((partition) => ({ partition, leader: 1, leaderEpoch: 0 })));
    expect(topic.configs).toEqual({ 'retention.ms': '1000' });
    expect(controller.metadata().topics).toEqual([topic]);
  });

  it('validates names like Kafka', async () => {
    const { controller } = await openHarness();
    const names = ['', '.', '..', 'a'.repeat(250), 'bad name', 'ünïcode', 'slash/no'];
    const results = await controller.createTopics(names.map((n) => req(n)), { validateOnly: false });
    for (const r of results) expect(r.errorCode, r.name).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const ok = await controller.createTopics([req('a'.repeat(249)), req('A-z_0.9')], { validateOnly: false });
    expect(ok.map((r) => r.errorCode)).toEqual([0, 0]);
  });

  it('refuses existing names, names colliding on . and _, and duplicates within a request', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a.b');
    const [exists, collides, dupA, dupB, inCall1, inCall2] = await controller.createTopics(
      [req('a.b'), req('a_b'), req('dup'), req('dup'), req('x.y'), req('x_y')],
      { validateOnly: false },
    );
    expect(exists).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'a.b' already exists." });
    expect(collides).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    expect(collides!.errorMessage).toContain('collides with existing topic: a.b');
    expect([dupA!.errorCode, dupB!.errorCode]).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(inCall1!.errorCode).toBe(ErrorCode.NONE);
    expect(inCall2!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('checks partition counts against 0, the per-topic maximum and the cluster limit; -1 takes num.partitions', async () => {
    const { controller } = await openHarness({ maxPartitionsPerTopic: 100, maxPartitions: 150, brokerConfigs: { 'num.partitions': '4' } });
    const rs = await controller.createTopics([req('zero', 0), req('neg', -5), req('big', 101), req('dflt', -1), req('max', 100), req('over', 50)], { validateOnly: false });
    expect(rs.map((r) => r.errorCode)).toEqual([
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.INVALID_PARTITIONS,
      ErrorCode.NONE,
      ErrorCode.NONE,
      ErrorCode.INVALID_PARTITIONS,
    ]);
    expect(rs[3]!.topic!.partitions).toHaveLength(4);
    expect(rs[5]!.errorMessage).toContain('limit of 150');
    expect(controller.stats().partitions).toBe(104);
  });

  it('refuses topics beyond maxTopics with POLICY_VIOLATION, counting a validateOnly call\'s own topics; an existing name stays TOPIC_ALREADY_EXISTS', async () => {
    const { controller } = await openHarness({ maxTopics: 2 });
    const dry = await controller.createTopics([req('a', 1), req('b', 1), req('c', 1)], { validateOnly: true });
    expect(dry.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.POLICY_VIOLATION]);
    const rs = await controller.createTopics([req('a', 1), req('b', 1), req('c', 1)], { validateOnly: false });
    expect(rs.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE, ErrorCode.POLICY_VIOLATION]);
    expect(rs[2]!.errorMessage).toBe('The cluster has 2 topics, its limit (maxTopics): delete unused topics first.');
    expect((await controller.createTopics([req('a', 1)], { validateOnly: false }))[0]!.errorCode).toBe(ErrorCode.TOPIC_ALREADY_EXISTS);
    await controller.deleteTopics([{ name: 'a' }]);
    expect((await controller.createTopics([req('c', 1)], { validateOnly: false }))[0]!.errorCode).toBe(ErrorCode.NONE);
  });

  it('accepts replication factor -1 and 1 only', async () => {
    const { controller } = await openHarness();
    const rs = await controller.createTopics([req('a', 1, { replicationFactor: 1 }), req('b', 1, { replicationFactor: -1 }), req('c', 1, { replicationFactor: 3 }), req('d', 1, { replicationFactor: 0 })], {
      validateOnly: false,
    });
    expect(rs.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_REPLICATION_FACTOR]);
  });

  it('validates configs: unknown keys, null values, bad values', async () => {
    const { controller } = await openHarness();
    const rs = await controller.createTopics(
      [
        req('a', 1, { configs: { 'no.such.key': '1' } }),
        req('b', 1, { configs: { 'retention.ms': null } }),
        req('c', 1, { configs: { 'cleanup.policy': 'compact' } }),
        req('d', 1, { configs: { 'retention.ms': '-1', 'stratus.durability': 'object' } }),
      ],
      { validateOnly: false },
    );
    expect(rs[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: no.such.key', topic: null });
    expect(rs[1]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(rs[2]!.errorMessage).toContain('compaction is not supported yet');
    expect(rs[3]!.errorCode).toBe(ErrorCode.NONE);
  });

  it('validateOnly checks everything and changes nothing', async () => {
    const { controller, store } = await openHarness();
    const version = controller.metadata().version;
    const appends = store.appends;
    const rs = await controller.createTopics([req('a', 3), req('a_b', 1), req('bad name')], { validateOnly: true });
    expect(rs.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_TOPIC_EXCEPTION]);
    expect(rs[0]!.topic).toMatchObject({ name: 'a', topicId: ZERO_UUID });
    expect(rs[0]!.topic!.partitions).toHaveLength(3);
    expect(controller.metadata().topics).toEqual([]);
    expect(controller.metadata().version).toBe(version);
    expect(store.appends).toBe(appends);
  });

  it('gives every topic a different id', async () => {
    const { controller } = await openHarness();
    const ids = new Set<string>();
    for (let i = 0; i < 50; i++) ids.add(await createTopic(controller, `t${i}`));
    expect(ids.size).toBe(50);
    expect(ids.has(ZERO_UUID)).toBe(false);
  });
});

describe('deleteTopics', () => {
  it('deletes by name or by id and reports unknown ones with the right code', async () => {
    const { controller } = await openHarness();
    const a = await createTopic(controller, 'a');
    const b = await createTopic(controller, 'b');
    const unknownId = Buffer.alloc(16, 5).toString('base64url');
    const rs = await controller.deleteTopics([{ name: 'a' }, { topicId: b }, { name: 'nope' }, { topicId: unknownId }, {}]);
    expect(rs).toEqual([
      { name: 'a', topicId: a, errorCode: 0, errorMessage: null },
      { name: 'b', topicId: b, errorCode: 0, errorMessage: null },
      { name: 'nope', topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "Topic 'nope' does not exist." },
      { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: `Topic id ${unknownId} does not exist.` },
      { name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither a topic name nor a topic id was given.' },
    ]);
    expect(controller.metadata().topics).toEqual([]);
    expect(controller.stats().partitions).toBe(0);
  });

  it('removes the partitions\' extents and offsets; the name can be reused with a new id', async () => {
    const { controller } = await openHarness();
    await controller.registerBroker(BROKER_1);
    const old = await createTopic(controller, 'a');
    const tp = { topicId: old, partition: 0 };
    await controller.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    await controller.commitOffsets('g', [{ ...tp, offset: 5, leaderEpoch: 0, metadata: null }]);
    await controller.deleteTopics([{ name: 'a' }]);
    expect(await controller.extentsFrom(tp, 0, 10)).toEqual([]);
    expect(await controller.fetchOffsets('g', null)).toEqual(new Map());
    expect(await controller.groupsWithOffsets()).toEqual([]);
    expect(controller.stats()).toMatchObject({ liveObjects: 0, unreferencedObjects: 1 });
    const again = await createTopic(controller, 'a');
    expect(again).not.toBe(old);
    expect(await controller.committedEndOffset({ topicId: again, partition: 0 })).toBe(0);
  });
});

describe('createPartitions', () => {
  it('adds partitions after the existing ones; refuses shrinking, equal counts and unknown topics', async () => {
    const { controller } = await openHarness({ maxPartitionsPerTopic: 10 });
    await controller.registerBroker(BROKER_1);
    await createTopic(controller, 'a', 2);
    const rs = await controller.createPartitions(
      [
        { name: 'a', count: 5 },
        { name: 'nope', count: 3 },
      ],
      { validateOnly: false },
    );
    expect(rs).toEqual([
      { name: 'a', errorCode: 0, errorMessage: null },
      { name: 'nope', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "Topic 'nope' does not exist." },
    ]);
    expect(controller.metadata().topics[0]!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    const bad = await controller.createPartitions(
      [
        { name: 'a', count: 3 },
        { name: 'a', count: 5 },
      ],
      { validateOnly: false },
    );
    expect(bad.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_PARTITIONS]);
    expect(bad[0]!.errorMessage).toBe('Topic currently has 5 partitions, which is higher than the requested 3.');
    expect(bad[1]!.errorMessage).toBe('Topic already has 5 partitions.');
    expect((await controller.createPartitions([{ name: 'a', count: 11 }], { validateOnly: false }))[0]!.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('validateOnly changes nothing', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a', 2);
    expect((await controller.createPartitions([{ name: 'a', count: 4 }], { validateOnly: true }))[0]!.errorCode).toBe(0);
    expect(controller.metadata().topics[0]!.partitions).toHaveLength(2);
  });
});

describe('brokers, leadership and metadata', () => {
  it('spreads leadership round-robin over registered brokers', async () => {
    const { controller } = await openHarness();
    await controller.registerBroker(BROKER_2);
    await controller.registerBroker(BROKER_1);
    await createTopic(controller, 'a', 6);
    const leaders = controller.metadata().topics[0]!.partitions.map((p) => p.leader);
    expect(new Set(leaders)).toEqual(new Set([1, 2]));
    for (let i = 1; i < leaders.length; i++) expect(leaders[i]).not.toBe(leaders[i - 1]);
    expect(controller.metadata().brokers.map((b) => b.nodeId)).toEqual([1, 2]);
  });

  it('gives leaderless partitions a leader when a broker registers, bumping the epoch', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a', 2);
    expect(controller.metadata().topics[0]!.partitions).toEqual([
      { partition: 0, leader: -1, leaderEpoch: 0 },
      { partition: 1, leader: -1, leaderEpoch: 0 },
    ]);
    await controller.registerBroker(BROKER_1);
    expect(controller.metadata().topics[0]!.partitions).toEqual([
      { partition: 0, leader: 1, leaderEpoch: 1 },
      { partition: 1, leader: 1, leaderEpoch: 1 },
    ]);
  });

  it('keeps leaders and epochs when a broker registers again (a restart), updates its address', async () => {
    const { controller } = await openHarness();
    const first = await controller.registerBroker(BROKER_1);
    await createTopic(controller, 'a', 2);
    const before = controller.metadata();
    // Every registration is a new incarnation: a new, higher broker epoch, nothing else.
    const second = await controller.registerBroker(BROKER_1);
    expect(second.brokerEpoch).toBeGreaterThan(first.brokerEpoch);
    expect(controller.metadata().topics).toEqual(before.topics);
    await controller.registerBroker({ ...BROKER_1, port: 19092 });
    const after = controller.metadata();
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.brokers).toEqual([{ ...BROKER_1, port: 19092, fenced: false, draining: false }]);
    expect(after.topics).toEqual(before.topics);
  });

  it('moves a removed broker\'s partitions to the others with higher epochs', async () => {
    const { controller } = await openHarness();
    await controller.registerBroker(BROKER_1);
    await controller.registerBroker(BROKER_2);
    await createTopic(controller, 'a', 4);
    const before = controller.metadata().topics[0]!.partitions;
    expect(await controller.unregisterBroker(2)).toBe(true);
    expect(await controller.unregisterBroker(2)).toBe(false);
    const after = controller.metadata().topics[0]!.partitions;
    for (const [i, p] of after.entries()) {
      expect(p.leader).toBe(1);
      expect(p.leaderEpoch).toBe(before[i]!.leader === 2 ? before[i]!.leaderEpoch + 1 : before[i]!.leaderEpoch);
    }
    await controller.unregisterBroker(1);
    expect(controller.metadata().topics[0]!.partitions.every((p) => p.leader === -1)).toBe(true);
  });

  it('refuses malformed broker registrations', async () => {
    const { controller } = await openHarness({ maxBrokers: 1 });
    await expect(controller.registerBroker({ ...BROKER_1, port: 0 })).rejects.toThrow(/port/);
    await expect(controller.registerBroker({ ...BROKER_1, nodeId: -1 })).rejects.toThrow(/nodeId/);
    await expect(controller.registerBroker({ ...BROKER_1, host: '' })).rejects.toThrow(/host/);
    await controller.registerBroker(BROKER_1);
    await expect(controller.registerBroker(BROKER_2)).rejects.toThrow(/maxBrokers/);
  });

  it('reports the lowest broker as controller unless configured, and a persistent cluster id', async () => {
    const { controller } = await openHarness();
    expect(controller.metadata().controllerId).toBe(-1);
    expect(controller.metadata().clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await controller.registerBroker(BROKER_2);
    await controller.registerBroker(BROKER_1);
    expect(controller.metadata().controllerId).toBe(1);
    const fixed = await openHarness({ controllerId: 7 });
    expect(fixed.controller.metadata().controllerId).toBe(7);
  });

  it('increases the version on every metadata change and notifies watchers after it', async () => {
    const { controller } = await openHarness();
    const seen: ClusterMetadata[] = [];
    const unwatch = controller.watch((m) => seen.push(m));
    const versions = [controller.metadata().version];
    await controller.registerBroker(BROKER_1);
    versions.push(controller.metadata().version);
    await createTopic(controller, 'a');
    versions.push(controller.metadata().version);
    await controller.createPartitions([{ name: 'a', count: 2 }], { validateOnly: false });
    versions.push(controller.metadata().version);
    await controller.alterConfigs([{ type: 'topic', name: 'a', configs: { 'retention.ms': '5' } }], { validateOnly: false });
    versions.push(controller.metadata().version);
    await controller.deleteTopics([{ name: 'a' }]);
    versions.push(controller.metadata().version);
    for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
    expect(seen.map((m) => m.version)).toEqual(versions.slice(1));
    // Offsets and commits are not metadata: no version change, no notification.
    unwatch();
    await controller.allocateProducerIds(10);
    expect(seen).toHaveLength(versions.length - 1);
  });

  it('isolates a throwing watcher', async () => {
    const { controller, errors } = await openHarness();
    const seen: number[] = [];
    controller.watch(() => {
      throw new Error('listener bug');
    });
    controller.watch((m) => seen.push(m.version));
    await createTopic(controller, 'a');
    expect(seen).toHaveLength(1);
    expect(errors.map((e) => e.context)).toEqual(['watch listener']);
  });
});
