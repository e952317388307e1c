// The controller's count limits as a client sees them, through the real handlers and the
// real codec over a real Controller: each is a specific Kafka error with a message where
// the response has room for one, never UNKNOWN_SERVER_ERROR.

import { describe, expect, it } from 'vitest';
import { Controller, MemoryMetadataStore } from '@stratus/controller';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ErrorCode } from '@stratus/protocol';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { TopicCatalog } from '../../src/broker-context.ts';
import type { BrokerContext } from '../../src/broker-context.ts';
import { GroupCoordinator } from '../../src/groups/coordinator.ts';
import { offsetCommitHandler } from '../../src/handlers/08-offset-commit.ts';
import { metadataHandler } from '../../src/handlers/03-metadata.ts';
import { createTopicsHandler } from '../../src/handlers/19-create-topics.ts';
import { createPartitionsHandler } from '../../src/handlers/37-create-partitions.ts';
import { forbiddenPartitions, testBrokerConfig } from '../support/context.ts';
import { call } from './support/wire.ts';

async function world(limits: { maxTopics?: number; maxPartitions?: number; maxCommittedOffsets?: number }) {
  const clock = new ManualClock();
  const controller = await Controller.open({ store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore(), clock, random: new SeededRandom(3), ...limits });
  const config = testBrokerConfig({ autoCreateTopics: true, defaultPartitions: 1 });
  await controller.registerBroker({ nodeId: config.nodeId, host: config.advertisedHost, port: config.advertisedPort, rack: null });
  const ctx: BrokerContext = { config, controller, clock, catalog: () => new TopicCatalog(controller.metadata()), partitions: forbiddenPartitions('limit tests') };
  const coordinator = new GroupCoordinator({ clock, config, controller });
  return { controller, ctx, coordinator };
}

const topic = (name: string, numPartitions = 1) => ({ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] });

describe('controller limits at the wire', () => {
  it('CreateTopics and auto-creation beyond maxTopics: POLICY_VIOLATION with the limit named', async () => {
    const { ctx, controller } = await world({ maxTopics: 2 });
    const created = await call(createTopicsHandler(ctx), 7, { topics: [topic('a'), topic('b'), topic('c')], timeoutMs: 1000, validateOnly: false });
    expect(created.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['a', ErrorCode.NONE],
      ['b', ErrorCode.NONE],
      ['c', ErrorCode.POLICY_VIOLATION],
    ]);
    expect(created.topics[2]!.errorMessage).toMatch(/2 topics, its limit \(maxTopics\)/);
    const md = await call(metadataHandler(ctx), 12, { topics: [{ name: 'd', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false });
    expect(md.topics[0]).toMatchObject({ name: 'd', errorCode: ErrorCode.POLICY_VIOLATION });
    expect(controller.metadata().topics).toHaveLength(2);
  });

  it('partitions beyond maxPartitions: INVALID_PARTITIONS with the limit named', async () => {
    const { ctx } = await world({ maxPartitions: 3 });
    const created = await call(createTopicsHandler(ctx), 7, { topics: [topic('a', 2), topic('b', 2)], timeoutMs: 1000, validateOnly: false });
    expect(created.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_PARTITIONS]);
    expect(created.topics[1]!.errorMessage).toContain('limit of 3 partitions');
    const grown = await call(createPartitionsHandler(ctx), 3, { topics: [{ name: 'a', count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(grown.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
  });

  it('OffsetCommit beyond maxCommittedOffsets: INVALID_COMMIT_OFFSET_SIZE (not retriable), not UNKNOWN_SERVER_ERROR', async () => {
    const { ctx, coordinator, controller } = await world({ maxCommittedOffsets: 1 });
    await controller.createTopics([{ name: 'orders', numPartitions: 2, replicationFactor: -1, configs: {} }], { validateOnly: false });
    const r = await call(offsetCommitHandler(ctx, coordinator), 8, {
      groupId: 'g',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null })) }],
    });
    expect(r.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
  });
});
