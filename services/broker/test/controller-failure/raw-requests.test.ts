// A broker whose remote controller fails (remote-world.ts): every API that calls the
// controller answers the items concerned with its retriable Kafka error
// (controller-failure.ts), the other items of the same request as usual, and the
// connection stays open — every request below goes over one raw socket, one after the
// other, and the dispatcher reports no closed connection. Two ways to fail: the
// controller's gRPC server shut down (refused connections), and a controller whose calls
// hang past the client's deadlines. Then the controller comes back and the same
// connection's requests succeed. Last, a controller that applies a change this broker's
// watch does not show in time.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, decodeResponse, ErrorCode, errorName } from '@stratus/protocol';
import type { ApiKeyNumber, Input, RequestTypes, ResponseTypes } from '@stratus/protocol';
import { encodeRequest } from '@stratus/protocol';
import { RawClient } from '../network/support/harness.ts';
import { batch } from '../data-path/support/kafka.ts';
import { eventually } from '../data-path/support/world.ts';
import { RemoteControllerWorld } from './support/remote-world.ts';

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const TOPIC = 2;
const BROKER = 4;
const LATEST = -1;
const EARLIEST = -2;

/** Requests and answers, one at a time, over one connection. */
class Conversation {
  private correlationId = 0;
  private readonly raw: RawClient;

  constructor(raw: RawClient) {
    this.raw = raw;
  }

  get isOpen(): boolean {
    return !this.raw.isClosed;
  }

  async ask<K extends ApiKeyNumber>(apiKey: K, version: number, body: Input<RequestTypes[K]>): Promise<ResponseTypes[K]> {
    const correlationId = ++this.correlationId;
    this.raw.send(encodeRequest(apiKey, version, correlationId, 'raw-client', body));
    await this.raw.waitForResponses(correlationId);
    const decoded = decodeResponse(apiKey, version, this.raw.responses[correlationId - 1]!);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value.correlationId).toBe(correlationId);
    return decoded.value.body;
  }

  close(): void {
    this.raw.socket.destroy();
  }
}

const names = (codes: readonly number[]): string[] => codes.map((c) => errorName(c));

let world: RemoteControllerWorld;

beforeAll(async () => {
  world = await RemoteControllerWorld.open();
});

afterAll(async () => {
  await world?.close();
});

type Mode = 'stopped' | 'hung';

describe.each<Mode>(['stopped', 'hung'])('the controller %s', (mode) => {
  const held = `held-${mode}`;
  const other = `other-${mode}`;
  let talk: Conversation;

  beforeAll(async () => {
    // While the controller is up: `held` with p0 open here (3 records, committed) and p1
    // never opened; `other` open with 3 records. Local durability: appends need the WAL only.
    await world.createTopic(held, 2, { 'stratus.durability': 'local' });
    await world.createTopic(other, 1, { 'stratus.durability': 'local' });
    await eventually(() => world.client.metadata().topics.some((t) => t.name === other), 'the broker sees the topics');
    talk = new Conversation(await RawClient.connect(world.port));
    for (const topic of [held, other]) {
      const r = await talk.ask(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(['a', 'b', 'c']) }] }] });
      expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    }
    const heldId = world.controller.metadata().topics.find((t) => t.name === held)!.topicId;
    await eventually(async () => (await world.controller.committedEndOffset({ topicId: heldId, partition: 0 })) === 3, 'held-0 committed');
    world.problems.length = 0;
    if (mode === 'stopped') await world.stop();
    else world.hang();
  });

  afterAll(() => talk?.close());

  it('admin requests: NOT_CONTROLLER for what goes to the controller, the rest answered', async () => {
    const created = await talk.ask(ApiKey.CreateTopics, 7, {
      topics: [
        { name: `new-${mode}`, numPartitions: 1, replicationFactor: -1 },
        { name: 'twice', numPartitions: 1, replicationFactor: -1 },
        { name: 'twice', numPartitions: 1, replicationFactor: -1 },
      ],
      timeoutMs: 5_000,
    });
    expect(created.topics.map((t) => [t.name, errorName(t.errorCode)])).toEqual([
      [`new-${mode}`, 'NOT_CONTROLLER'],
      ['twice', 'INVALID_REQUEST'],
    ]);

    const deleted = await talk.ask(ApiKey.DeleteTopics, 6, { topics: [{ name: other, topicId: ZERO_UUID }, { name: null, topicId: ZERO_UUID }], timeoutMs: 5_000 });
    expect(deleted.responses.map((t) => [t.name, errorName(t.errorCode)])).toEqual([
      [other, 'NOT_CONTROLLER'],
      [null, 'INVALID_REQUEST'],
    ]);
    expect(deleted.responses[0]!.topicId).toBe(world.controller.metadata().topics.find((t) => t.name === other)!.topicId);

    const grown = await talk.ask(ApiKey.CreatePartitions, 3, { topics: [{ name: held, count: 4, assignments: null }], timeoutMs: 5_000 });
    expect(names(grown.results.map((r) => r.errorCode))).toEqual(['NOT_CONTROLLER']);

    const described = await talk.ask(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: TOPIC, resourceName: held, configurationKeys: null },
        { resourceType: BROKER, resourceName: '', configurationKeys: null },
      ],
    });
    expect(names(described.results.map((r) => r.errorCode))).toEqual(['NOT_CONTROLLER', 'NONE']);

    const altered = await talk.ask(ApiKey.AlterConfigs, 2, {
      resources: [
        { resourceType: TOPIC, resourceName: held, configs: [{ name: 'retention.ms', value: '60000' }] },
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', value: '1' }] },
      ],
    });
    expect(names(altered.responses.map((r) => r.errorCode))).toEqual(['NOT_CONTROLLER', 'INVALID_REQUEST']);

    const incremental = await talk.ask(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: TOPIC, resourceName: held, configs: [{ name: 'retention.ms', configOperation: 0, value: '60000' }] }],
    });
    expect(names(incremental.responses.map((r) => r.errorCode))).toEqual(['NOT_CONTROLLER']);
  });

  it('DeleteRecords: REQUEST_TIMED_OUT for partitions whose move cannot be recorded or opened', async () => {
    const r = await talk.ask(ApiKey.DeleteRecords, 2, { topics: [{ name: held, partitions: [{ partitionIndex: 0, offset: 1 }, { partitionIndex: 1, offset: 0 }, { partitionIndex: 9, offset: 0 }] }], timeoutMs: 5_000 });
    expect(names(r.topics[0]!.partitions.map((p) => p.errorCode))).toEqual(['REQUEST_TIMED_OUT', 'REQUEST_TIMED_OUT', 'UNKNOWN_TOPIC_OR_PARTITION']);
  });

  it('InitProducerId without a producer-id block: COORDINATOR_LOAD_IN_PROGRESS, twice (a failed allocation is not kept)', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await talk.ask(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      expect(errorName(r.errorCode)).toBe('COORDINATOR_LOAD_IN_PROGRESS');
      expect(r.producerId).toBe(-1);
    }
  });

  it('Produce: appended where the partition is open, NOT_LEADER_OR_FOLLOWER where it cannot be opened, LEADER_NOT_AVAILABLE where the topic cannot be created', async () => {
    const r = await talk.ask(ApiKey.Produce, 9, {
      acks: -1,
      timeoutMs: 5_000,
      topicData: [
        { name: held, partitionData: [{ index: 0, records: batch(['d']) }, { index: 1, records: batch(['x']) }] },
        { name: `auto-${mode}`, partitionData: [{ index: 0, records: batch(['y']) }] },
      ],
    });
    expect(r.responses.map((t) => [t.name, t.partitionResponses.map((p) => [p.index, errorName(p.errorCode)])])).toEqual([
      [held, [[0, 'NONE'], [1, 'NOT_LEADER_OR_FOLLOWER']]],
      [`auto-${mode}`, [[0, 'LEADER_NOT_AVAILABLE']]],
    ]);
    expect(r.responses[0]!.partitionResponses[0]!.baseOffset).toBe(3);
  });

  it('Fetch, ListOffsets, OffsetForLeaderEpoch: KAFKA_STORAGE_ERROR where the index cannot be read, the rest served', async () => {
    const fetched = await talk.ask(ApiKey.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      // From offset 1: DeleteRecords above moved held-0's log start there.
      topics: [{ topic: held, partitions: [0, 1].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 1 - partition, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024 * 1024 })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const [p0, p1] = fetched.responses[0]!.partitions;
    expect([errorName(p0!.errorCode), errorName(p1!.errorCode)]).toEqual(['NONE', 'KAFKA_STORAGE_ERROR']);
    expect(p0!.highWatermark).toBe(4);
    expect(p0!.logStartOffset).toBe(1);

    const listed = await talk.ask(ApiKey.ListOffsets, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: held, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: EARLIEST }, { partitionIndex: 1, currentLeaderEpoch: -1, timestamp: LATEST }] },
        { name: other, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: LATEST }] },
      ],
    });
    expect(listed.topics.map((t) => t.partitions.map((p) => errorName(p.errorCode)))).toEqual([['KAFKA_STORAGE_ERROR', 'KAFKA_STORAGE_ERROR'], ['NONE']]);
    expect(listed.topics[1]!.partitions[0]!.offset).toBe(3);

    const epochs = await talk.ask(ApiKey.OffsetForLeaderEpoch, 4, {
      replicaId: -1,
      topics: [
        { topic: held, partitions: [{ partition: 1, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
        { topic: other, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    expect(epochs.topics.map((t) => t.partitions.map((p) => errorName(p.errorCode)))).toEqual([['KAFKA_STORAGE_ERROR'], ['NONE']]);
    expect(epochs.topics[1]!.partitions[0]!.endOffset).toBe(3);
  });

  it('Metadata: LEADER_NOT_AVAILABLE for a topic it cannot create, known topics as usual', async () => {
    const r = await talk.ask(ApiKey.Metadata, 12, {
      topics: [
        { name: `auto-md-${mode}`, topicId: ZERO_UUID },
        { name: held, topicId: ZERO_UUID },
      ],
      allowAutoTopicCreation: true,
    });
    expect(r.topics.map((t) => [t.name, errorName(t.errorCode)])).toEqual([
      [`auto-md-${mode}`, 'LEADER_NOT_AVAILABLE'],
      [held, 'NONE'],
    ]);
  });

  it('group offsets and lookups: COORDINATOR_NOT_AVAILABLE', async () => {
    const group = `g-${mode}`;
    const committed = await talk.ask(ApiKey.OffsetCommit, 8, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        { name: held, partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: '' }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: '' }] },
      ],
    });
    expect(committed.topics.map((t) => t.partitions.map((p) => errorName(p.errorCode)))).toEqual([['COORDINATOR_NOT_AVAILABLE'], ['UNKNOWN_TOPIC_OR_PARTITION']]);

    const fetchedV8 = await talk.ask(ApiKey.OffsetFetch, 8, { groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }], requireStable: false });
    expect(errorName(fetchedV8.groups[0]!.errorCode)).toBe('COORDINATOR_NOT_AVAILABLE');
    const fetchedV7 = await talk.ask(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: held, partitionIndexes: [0] }], requireStable: false });
    expect(errorName(fetchedV7.errorCode)).toBe('COORDINATOR_NOT_AVAILABLE');

    const offsetDeleted = await talk.ask(ApiKey.OffsetDelete, 0, { groupId: group, topics: [{ name: held, partitions: [{ partitionIndex: 0 }] }] });
    expect(errorName(offsetDeleted.errorCode)).toBe('COORDINATOR_NOT_AVAILABLE');

    const groupsDeleted = await talk.ask(ApiKey.DeleteGroups, 2, { groupsNames: [group, ''] });
    expect(groupsDeleted.results.map((g) => [g.groupId, errorName(g.errorCode)])).toEqual([
      [group, 'COORDINATOR_NOT_AVAILABLE'],
      ['', 'INVALID_GROUP_ID'],
    ]);

    const described = await talk.ask(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    expect(errorName(described.groups[0]!.errorCode)).toBe('COORDINATOR_NOT_AVAILABLE');
    const listed = await talk.ask(ApiKey.ListGroups, 4, { statesFilter: [] });
    expect(errorName(listed.errorCode)).toBe('COORDINATOR_NOT_AVAILABLE');
  });

  it('kept the connection through all of it, and the dispatcher closed none', async () => {
    const versions = await talk.ask(ApiKey.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    expect(talk.isOpen).toBe(true);
    expect(world.problems).toEqual([]);
    if (mode === 'hung') expect(world.hungCalls).toBeGreaterThan(0);
  });

  it('once the controller is back, the same connection\'s requests succeed', async () => {
    if (mode === 'stopped') await world.start();
    else world.release();
    // Clients retry; so does this, until the client has reconnected.
    await eventually(
      async () => {
        const r = await talk.ask(ApiKey.CreateTopics, 7, { topics: [{ name: `back-${mode}`, numPartitions: 1, replicationFactor: -1 }], timeoutMs: 5_000 });
        return r.topics[0]!.errorCode === ErrorCode.NONE;
      },
      'CreateTopics succeeds',
      10_000,
    );
    const produced = await talk.ask(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5_000, topicData: [{ name: held, partitionData: [{ index: 1, records: batch(['x']) }] }] });
    expect(errorName(produced.responses[0]!.partitionResponses[0]!.errorCode)).toBe('NONE');
    const committed = await talk.ask(ApiKey.OffsetCommit, 8, {
      groupId: `g-${mode}`,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: held, partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    expect(errorName(committed.topics[0]!.partitions[0]!.errorCode)).toBe('NONE');
    const listed = await talk.ask(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: held, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: EARLIEST }] }] });
    expect(errorName(listed.topics[0]!.partitions[0]!.errorCode)).toBe('NONE');
    expect(talk.isOpen).toBe(true);
    expect(world.problems).toEqual([]);
  });
});

describe('the controller applies a change this broker does not see in time', () => {
  it('CreateTopics answers NOT_CONTROLLER; a retry once the watch caught up finds the topic created', async () => {
    const talk = new Conversation(await RawClient.connect(world.port));
    try {
      world.problems.length = 0;
      world.freezeWatch();
      const lagging = await talk.ask(ApiKey.CreateTopics, 7, { topics: [{ name: 'lagging', numPartitions: 1, replicationFactor: -1 }], timeoutMs: 5_000 });
      expect(errorName(lagging.topics[0]!.errorCode)).toBe('NOT_CONTROLLER');
      expect(lagging.topics[0]!.errorMessage).toContain('CONTROLLER_METADATA_LAG');
      // Applied all the same: the controller has it, this broker does not show it yet.
      expect(world.controller.metadata().topics.some((t) => t.name === 'lagging')).toBe(true);
      expect(world.client.metadata().topics.some((t) => t.name === 'lagging')).toBe(false);

      world.thawWatch();
      await eventually(() => world.client.metadata().topics.some((t) => t.name === 'lagging'), 'the watch delivers the topic');
      // What a Kafka client's retry after a controller timeout gets, as with Kafka.
      const again = await talk.ask(ApiKey.CreateTopics, 7, { topics: [{ name: 'lagging', numPartitions: 1, replicationFactor: -1 }], timeoutMs: 5_000 });
      expect(errorName(again.topics[0]!.errorCode)).toBe('TOPIC_ALREADY_EXISTS');
      const md = await talk.ask(ApiKey.Metadata, 12, { topics: [{ name: 'lagging', topicId: ZERO_UUID }], allowAutoTopicCreation: false });
      expect(errorName(md.topics[0]!.errorCode)).toBe('NONE');
      expect(talk.isOpen).toBe(true);
      expect(world.problems).toEqual([]);
    } finally {
      world.thawWatch();
      talk.close();
    }
  });
});
