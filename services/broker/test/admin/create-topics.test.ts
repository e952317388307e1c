import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import type { CreateTopicsRequestCreatableTopic, Input } from '@stratus/protocol';
import { createTopicsHandler } from '../../src/handlers/19-create-topics.ts';
import { Source } from './support/fake-controller.ts';
import { acceptedVersions, adminFixture, call, ZERO_UUID } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

function topic(name: string, numPartitions: number, extra: Partial<Input<CreateTopicsRequestCreatableTopic>> = {}): Input<CreateTopicsRequestCreatableTopic> {
  return { name, numPartitions, replicationFactor: -1, assignments: [], configs: [], ...extra };
}

const handlerShape = createTopicsHandler(adminFixture().ctx);

describe('CreateTopics handler', () => {
  it('accepts every schema version, 0–7 (KAFKA-COMPAT asks for 2–7)', () => {
    expect(handlerShape.accept).toEqual([0, 7]);
    expect(handlerShape.advertise).toBeUndefined();
  });
});

describe.each(acceptedVersions(handlerShape))('CreateTopics v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof createTopicsHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('existing', 2);
    handler = createTopicsHandler(f.ctx);
  });

  it('creates topics and answers per topic, with configs, partitions and ids where the version has them', async () => {
    const res = await call(handler, version, {
      topics: [
        topic('orders', 6, { replicationFactor: 1, configs: [{ name: 'retention.ms', value: '3600000' }] }),
        topic('defaults', -1),
        topic('existing', 1),
        topic('bad/name', 1),
        topic('replicated', 1, { replicationFactor: 3 }),
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['orders', ErrorCode.NONE],
      ['defaults', ErrorCode.NONE],
      ['existing', ErrorCode.TOPIC_ALREADY_EXISTS],
      ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION],
      ['replicated', ErrorCode.INVALID_REPLICATION_FACTOR],
    ]);
    expect(f.controller.topic('orders')?.partitions).toHaveLength(6);
    expect(f.controller.topic('orders')?.configs).toEqual({ 'retention.ms': '3600000' });
    expect(f.controller.topic('defaults')?.partitions).toHaveLength(3);
    const [orders, defaults, existing] = res.topics;

    if (version >= 1) {
      expect(orders?.errorMessage).toBeNull();
      expect(existing?.errorMessage).toBe("Topic 'existing' already exists.");
    }
    expect(orders?.topicId).toBe(version >= 7 ? f.controller.topic('orders')?.topicId : ZERO_UUID);
    expect(existing?.topicId).toBe(ZERO_UUID);

    if (version >= 5) {
      expect(orders).toMatchObject({ numPartitions: 6, replicationFactor: 1, topicConfigErrorCode: 0 });
      expect(defaults).toMatchObject({ numPartitions: 3, replicationFactor: 1 });
      expect(orders?.configs).toContainEqual({ name: 'retention.ms', value: '3600000', readOnly: false, configSource: Source.DYNAMIC_TOPIC, isSensitive: false });
      expect(orders?.configs).toContainEqual({ name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: Source.DEFAULT, isSensitive: false });
      expect(orders?.configs).toHaveLength(5);
      // A failed topic carries no partition count, replication factor or configs.
      expect(existing).toMatchObject({ numPartitions: -1, replicationFactor: -1, configs: [] });
    } else {
      // Not in the schema before v5: the client sees the defaults.
      expect(orders).toMatchObject({ numPartitions: -1, replicationFactor: -1 });
      expect(f.controller.calls.filter((c) => c.method === 'describeConfigs')).toHaveLength(0);
    }
  });

  it('validateOnly checks without creating (v1+); v0 cannot ask for it, so it creates', async () => {
    const res = await call(handler, version, {
      topics: [topic('dry', 4, { configs: [{ name: 'cleanup.policy', value: 'compact' }] }), topic('existing', 1)],
      timeoutMs: 0,
      validateOnly: true,
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['dry', ErrorCode.NONE],
      ['existing', ErrorCode.TOPIC_ALREADY_EXISTS],
    ]);
    if (version === 0) {
      expect(f.controller.topic('dry')).toBeDefined();
      return;
    }
    expect(f.controller.topic('dry')).toBeUndefined();
    expect(f.controller.calls[0]?.args[1]).toEqual({ validateOnly: true });
    if (version >= 5) {
      expect(res.topics[0]).toMatchObject({ numPartitions: 4, replicationFactor: 1 });
      expect(res.topics[0]?.configs).toEqual([{ name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: Source.DYNAMIC_TOPIC, isSensitive: false }]);
    }
  });

  it('refuses a name given twice, once, and still creates the others', async () => {
    const res = await call(handler, version, {
      topics: [topic('twice', 1), topic('once', 1), topic('twice', 2)],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['twice', ErrorCode.INVALID_REQUEST],
      ['once', ErrorCode.NONE],
    ]);
    if (version >= 1) expect(res.topics[0]?.errorMessage).toBe('Duplicate topic name.');
    expect(f.controller.topic('twice')).toBeUndefined();
    expect(f.controller.topic('once')).toBeDefined();
  });

  it('refuses manual replica assignments without asking the controller', async () => {
    const res = await call(handler, version, {
      topics: [topic('placed', -1, { assignments: [{ partitionIndex: 0, brokerIds: [1] }] })],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(res.topics[0]?.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    if (version >= 1) expect(res.topics[0]?.errorMessage).toMatch(/Manual replica assignment is not supported/);
    expect(f.controller.calls).toHaveLength(0);
  });

  it('reports a failed config read-back as TopicConfigErrorCode (v5+), the topic still created', async () => {
    f.controller.describeConfigs = (resources) =>
      Promise.resolve(resources.map((r) => ({ resourceType: r.type, resourceName: r.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'gone', entries: [] })));
    const res = await call(handler, version, { topics: [topic('raced', 2)], timeoutMs: 1000, validateOnly: false });
    expect(res.topics[0]?.errorCode).toBe(ErrorCode.NONE);
    if (version >= 5) expect(res.topics[0]).toMatchObject({ topicConfigErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, numPartitions: 2, configs: [] });
  });
});
