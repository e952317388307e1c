// KIP-392 follower fetching across real brokers sharing one controller and one object
// store: the leader names the client's rack's read replica; that broker serves committed
// data only (never the leader's acknowledged-but-uncommitted tail), answers past its end
// as Kafka's follower does, wakes a long poll when more is committed; a broker that is
// neither leader nor read replica, or an old Fetch version, gets NOT_LEADER_OR_FOLLOWER.
// kafkajs with a rackId then consumes everything through the replica.

import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { FetchResponse, Input, FetchRequest } from '@stratus/protocol';
import { batch, produceRequest, readFetched } from '../data-path/support/kafka.ts';
import { ClusterWorld, eventually } from './support/cluster-world.ts';

let world: ClusterWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const RACKS: Record<number, string> = { 1: 'a', 2: 'b', 3: 'b', 4: 'c' };

function fetchRequest(topic: string, offset: number, o: { rackId?: string; currentLeaderEpoch?: number; maxWaitMs?: number; minBytes?: number } = {}): Input<FetchRequest> {
  return {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1 },
    maxWaitMs: o.maxWaitMs ?? 0,
    minBytes: o.minBytes ?? 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: o.currentLeaderEpoch ?? -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
    forgottenTopicsData: [],
    rackId: o.rackId ?? '',
  };
}

function only(r: FetchResponse) {
  return r.responses[0]!.partitions[0]!;
}

async function produceValues(w: ClusterWorld, nodeId: number, topic: string, values: string[]): Promise<number> {
  const r = await w.call(nodeId, ApiKey.Produce, 9, produceRequest(topic, 0, batch(values)));
  const p = r.responses[0]!.partitionResponses[0]!;
  if (p.errorCode !== ErrorCode.NONE) throw new Error(`produce failed: ${p.errorCode} ${p.errorMessage}`);
  return p.baseOffset;
}

describe('KIP-392: reads from a broker that does not lead the partition', () => {
  it('the leader names the rack replica; the replica serves committed data only, up to the committed end', { timeout: 20_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: RACKS[nodeId]! })) });
    const w = world;
    const topic = await w.createTopic('reads');
    const leader = w.leaderOf('reads');
    const epoch = topic.partitions[0]!.leaderEpoch;

    // Metadata from any broker lists the leader and one read replica per other rack.
    const md = await w.call(4, ApiKey.Metadata, 12, { topics: [{ name: 'reads', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const view = md.topics[0]!.partitions[0]!;
    expect(view.leaderId).toBe(leader);
    const otherRacks = [...new Set(Object.values(RACKS))].filter((r) => r !== RACKS[leader]).sort();
    expect(view.replicaNodes[0]).toBe(leader);
    expect(view.replicaNodes.slice(1).map((id) => RACKS[id])).toEqual(otherRacks);
    expect(view.isrNodes).toEqual(view.replicaNodes);
    const clientRack = otherRacks[0]!;
    const replica = view.replicaNodes.find((id) => RACKS[id] === clientRack)!;
    const bystander = [1, 2, 3, 4].find((id) => id !== leader && !view.replicaNodes.includes(id))!;
    expect(bystander).toBeDefined();

    // Three records committed, then one acknowledged (WAL) but not yet uploaded.
    await produceValues(w, leader, 'reads', ['r0', 'r1']);
    await produceValues(w, leader, 'reads', ['r2']);
    await eventually(async () => (await w.controller.committedEndOffset({ topicId: topic.topicId, partition: 0 })) === 3, 'the first records committed');
    await produceValues(w, leader, 'reads', ['r3']);
    await produceValues(w, leader, 'reads', ['r4']);
    expect(await w.controller.committedEndOffset({ topicId: topic.topicId, partition: 0 })).toBe(3);

    // The leader: a client of another rack is sent to that rack's replica, without records.
    const redirected = only(await w.call(leader, ApiKey.Fetch, 12, fetchRequest('reads', 0, { rackId: clientRack, currentLeaderEpoch: epoch })));
    expect(redirected).toMatchObject({ errorCode: ErrorCode.NONE, preferredReadReplica: replica, highWatermark: 5 });
    expect(readFetched(redirected.records).records).toEqual([]);
    // Also at the committed end (the replica serves it, waiting there as a Kafka follower would) ...
    expect(only(await w.call(leader, ApiKey.Fetch, 12, fetchRequest('reads', 3, { rackId: clientRack }))).preferredReadReplica).toBe(replica);
    // ... but not for an offset past it, which the replica cannot serve yet: the leader reads.
    const notYet = only(await w.call(leader, ApiKey.Fetch, 12, fetchRequest('reads', 4, { rackId: clientRack })));
    expect(notYet.errorCode).toBe(ErrorCode.NONE);
    expect(notYet.preferredReadReplica).toBe(-1);
    expect(readFetched(notYet.records).records.map((r) => r.value)).toEqual(['r4']);
    // A client in the leader's own rack, or without a rack, reads from the leader.
    expect(only(await w.call(leader, ApiKey.Fetch, 12, fetchRequest('reads', 0, { rackId: RACKS[leader]! }))).preferredReadReplica).toBe(-1);
    expect(only(await w.call(leader, ApiKey.Fetch, 12, fetchRequest('reads', 0))).preferredReadReplica).toBe(-1);

    // The replica: committed data only; its high watermark is the committed end.
    const served = only(await w.call(replica, ApiKey.Fetch, 12, fetchRequest('reads', 0, { rackId: clientRack, currentLeaderEpoch: epoch })));
    expect(served).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 3, lastStableOffset: 3, preferredReadReplica: -1 });
    expect(readFetched(served.records).records.map((r) => [r.offset, r.value])).toEqual([
      [0, 'r0'],
      [1, 'r1'],
      [2, 'r2'],
    ]);
    // Past its end: out of range for a client that sent its leader epoch, empty for one that did not (KAFKA-14272).
    expect(only(await w.call(replica, ApiKey.Fetch, 12, fetchRequest('reads', 5, { currentLeaderEpoch: epoch }))).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    const lenient = only(await w.call(replica, ApiKey.Fetch, 12, fetchRequest('reads', 5)));
    expect(lenient.errorCode).toBe(ErrorCode.NONE);
    expect(readFetched(lenient.records).records).toEqual([]);
    // A stale or future leader epoch is judged as the leader would.
    expect(only(await w.call(replica, ApiKey.Fetch, 12, fetchRequest('reads', 0, { currentLeaderEpoch: epoch + 1 }))).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);

    // Not a read replica, or a version before KIP-392: not served.
    expect(only(await w.call(bystander, ApiKey.Fetch, 12, fetchRequest('reads', 0, { rackId: RACKS[bystander]! }))).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(only(await w.call(replica, ApiKey.Fetch, 10, fetchRequest('reads', 0))).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

    // A long poll at the replica's end wakes once the leader's tail is committed.
    const started = Date.now();
    const polled = only(await w.call(replica, ApiKey.Fetch, 12, fetchRequest('reads', 3, { maxWaitMs: 5_000, minBytes: 1, currentLeaderEpoch: epoch })));
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(polled.highWatermark).toBeGreaterThan(3);
    expect(readFetched(polled.records).records[0]).toMatchObject({ offset: 3, value: 'r3' });
  });

  it('kafkajs with a rackId consumes everything through its rack replica', { timeout: 30_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [1, 2, 3, 4].map((nodeId) => ({ nodeId, rack: RACKS[nodeId]! })) });
    const w = world;
    await w.createTopic('zonal');
    const leader = w.leaderOf('zonal');
    const clientRack = [...new Set(Object.values(RACKS))].find((r) => r !== RACKS[leader])!;
    const kafka = new Kafka({ clientId: 'follower-fetch', brokers: w.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `v${i}`);
    for (let i = 0; i < values.length; i += 10) await producer.send({ topic: 'zonal', messages: values.slice(i, i + 10).map((value) => ({ value })) });
    await producer.disconnect();
    await eventually(async () => (await w.controller.committedEndOffset({ topicId: w.topic('zonal').topicId, partition: 0 })) === values.length, 'everything committed');

    const consumer = kafka.consumer({ groupId: 'zonal-readers', rackId: clientRack, maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: ['zonal'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await eventually(() => seen.length >= values.length, 'every record consumed', 20_000);
    await consumer.disconnect();
    expect(seen).toEqual(values);
    const replicaIds = [...w.brokers.values()].filter((b) => b.broker.replicaReads.openCount > 0).map((b) => b.nodeId);
    expect(replicaIds.map((id) => RACKS[id])).toEqual([clientRack]);
  });
});
