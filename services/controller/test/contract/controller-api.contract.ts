// The ControllerApi contract: behaviour a broker relies on, whatever implements the API.
// controller-api.inprocess.test.ts runs it against the Controller called in process,
// controller-api.grpc.test.ts against GrpcControllerClient talking over loopback to a
// ControllerGrpcServer that serves a real Controller. Both subjects sit on a Controller
// with a manual clock (commit times, the commit window), reachable as `controller` for
// what the API does not offer (unregistering a broker to bump epochs).

import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { CommitRefusedError, CommitTooLateError, partitionKey, streamSetObjectKey } from '@stratus/partition-index';
import type { Extent, TopicPartition } from '@stratus/partition-index';
import type { ManualClock } from '@stratus/runtime';
import type { AclBinding, ClusterMetadata, Controller, ControllerApi, CreateTopicRequest } from '../../src/index.ts';
import { AclOp, MATCH_ALL_FILTER, PatternType, Permission, ResourceType } from '../../src/index.ts';
import { BROKER_1, BROKER_2, commitOf, extent } from '../support/helpers.ts';
import type { HarnessOptions } from '../support/helpers.ts';

export interface ContractSubject {
  /** The implementation under test. */
  readonly api: ControllerApi;
  /** The controller behind it (the same object in process). */
  readonly controller: Controller;
  readonly clock: ManualClock;
  close(): Promise<void>;
}

export type OpenSubject = (options?: HarnessOptions) => Promise<ContractSubject>;

function topic(name: string, numPartitions = 1, extra: Partial<CreateTopicRequest> = {}): CreateTopicRequest {
  return { name, numPartitions, replicationFactor: -1, configs: {}, ...extra };
}

async function createTopic(api: ControllerApi, name: string, numPartitions = 1): Promise<string> {
  const [r] = await api.createTopics([topic(name, numPartitions)], { validateOnly: false });
  if (r?.topic === null || r?.errorCode !== 0) throw new Error(`createTopic ${name}: ${r?.errorMessage}`);
  return r.topic.topicId;
}

export function controllerApiContract(name: string, openSubject: OpenSubject): void {
  describe(`ControllerApi contract: ${name}`, () => {
    const opened: ContractSubject[] = [];
    async function open(options?: HarnessOptions): Promise<ContractSubject> {
      const s = await openSubject(options);
      opened.push(s);
      return s;
    }
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe('brokers, metadata and watch', () => {
      it('registers brokers and shows them in metadata() as soon as the call resolves', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const live = { fenced: false, draining: false };
        expect(api.metadata().brokers).toEqual([{ ...BROKER_1, ...live }]);
        await api.registerBroker(BROKER_2);
        expect(api.metadata().brokers).toEqual([{ ...BROKER_1, ...live }, { ...BROKER_2, ...live }]);
        expect(api.metadata().clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      });

      it('carries each broker\'s advertised listeners (endpoints) in their order, and refuses malformed ones', async () => {
        const { api } = await open();
        const internal = { listener: 'INTERNAL', host: 'broker-3', port: 9092 };
        const external = { listener: 'EXTERNAL', host: 'kafka-3.example.com', port: 19094 };
        const broker = { nodeId: 3, host: 'broker-3', port: 9092, rack: 'c', endpoints: [internal, external] };
        await api.registerBroker(broker);
        await api.registerBroker(BROKER_1); // none: host:port on every listener
        const live = { fenced: false, draining: false };
        expect(api.metadata().brokers).toEqual([{ ...BROKER_1, ...live }, { ...broker, ...live }]);
        // A new registration replaces them (a broker restarted with other listeners).
        const moved = { ...broker, endpoints: [internal, { ...external, host: 'kafka-3.example.net' }] };
        await api.registerBroker(moved);
        expect(api.metadata().brokers.find((b) => b.nodeId === 3)).toEqual({ ...moved, ...live });
        await expect(api.registerBroker({ ...broker, endpoints: [external, internal] })).rejects.toThrow(/must be the first endpoint's/);
        await expect(api.registerBroker({ ...broker, endpoints: [internal, { ...external, listener: 'INTERNAL' }] })).rejects.toThrow(/INTERNAL is given twice/);
        await expect(api.registerBroker({ ...broker, endpoints: [internal, { ...external, listener: 'external' }] })).rejects.toThrow(/listener names/);
        await expect(api.registerBroker({ ...broker, endpoints: [internal, { ...external, port: 0 }] })).rejects.toThrow(/EXTERNAL's port/);
        expect(api.metadata().brokers.find((b) => b.nodeId === 3)).toEqual({ ...moved, ...live });
      });

      it('read-your-writes: a created topic is in metadata() when createTopics resolves, and gone after deleteTopics', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const before = api.metadata().version;
        const [r] = await api.createTopics([topic('orders', 3, { configs: { 'retention.ms': '1000' } })], { validateOnly: false });
        expect(r).toMatchObject({ name: 'orders', errorCode: 0, errorMessage: null });
        const m = api.metadata();
        expect(m.version).toBeGreaterThan(before);
        expect(m.topics).toEqual([r!.topic]);
        expect(m.topics[0]!.partitions).toEqual([0, 1, 2].map((partition) => ({ partition, leader: 1, leaderEpoch: 0 })));
        expect(m.topics[0]!.configs).toEqual({ 'retention.ms': '1000' });
        const [d] = await api.deleteTopics([{ name: 'orders' }]);
        expect(d).toEqual({ name: 'orders', topicId: r!.topic!.topicId, errorCode: 0, errorMessage: null });
        expect(api.metadata().topics).toEqual([]);
      });

      it('calls watch listeners with each change, before the mutation resolves, until unsubscribed', async () => {
        const { api } = await open();
        const seen: ClusterMetadata[] = [];
        const stop = api.watch((m) => seen.push(m));
        await createTopic(api, 'a');
        expect(seen.at(-1)!.topics.map((t) => t.name)).toEqual(['a']);
        await createTopic(api, 'b');
        expect(seen.at(-1)!.topics.map((t) => t.name).sort()).toEqual(['a', 'b']);
        const versions = seen.map((m) => m.version);
        expect([...versions].sort((x, y) => x - y)).toEqual(versions);
        stop();
        const count = seen.length;
        await createTopic(api, 'c');
        expect(seen.length).toBe(count);
      });
    });

    describe('topics', () => {
      it('answers per-topic Kafka errors and honours validateOnly', async () => {
        const { api } = await open();
        await createTopic(api, 'a');
        const [exists, bad, dry] = await api.createTopics([topic('a'), topic('bad name'), topic('dry', 2)], { validateOnly: true });
        expect(exists).toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, errorMessage: "Topic 'a' already exists." });
        expect(bad!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
        expect(dry!.errorCode).toBe(0);
        expect(api.metadata().topics.map((t) => t.name)).toEqual(['a']);
        const [rf] = await api.createTopics([topic('rf', 1, { replicationFactor: 3 })], { validateOnly: false });
        expect(rf!.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
      });

      it('deletes by name or id and reports unknown ones', async () => {
        const { api } = await open();
        const a = await createTopic(api, 'a');
        await createTopic(api, 'b');
        const rs = await api.deleteTopics([{ topicId: a }, { name: 'b' }, { name: 'nope' }]);
        expect(rs.map((r) => [r.name, r.errorCode])).toEqual([
          ['a', 0],
          ['b', 0],
          ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ]);
        expect(api.metadata().topics).toEqual([]);
      });

      it('adds partitions, visible in metadata() at once; refuses shrinking', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        await createTopic(api, 'a', 2);
        const [dry] = await api.createPartitions([{ name: 'a', count: 5 }], { validateOnly: true });
        expect(dry!.errorCode).toBe(0);
        expect(api.metadata().topics[0]!.partitions).toHaveLength(2);
        const [ok, shrink, unknown] = await api.createPartitions(
          [
            { name: 'a', count: 4 },
            { name: 'a', count: 1 },
            { name: 'x', count: 3 },
          ],
          { validateOnly: false },
        );
        expect(ok).toEqual({ name: 'a', errorCode: 0, errorMessage: null });
        expect(shrink!.errorCode).not.toBe(0);
        expect(unknown!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        expect(api.metadata().topics[0]!.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3]);
      });
    });

    describe('configs', () => {
      it('describes topic and broker resources, filtered by keys', async () => {
        const { api } = await open();
        await api.createTopics([topic('a', 1, { configs: { 'retention.ms': '5000' } })], { validateOnly: false });
        const [t, b, unknown] = await api.describeConfigs([
          { type: 'topic', name: 'a', keys: ['retention.ms', 'cleanup.policy'] },
          { type: 'broker', name: '1', keys: ['num.partitions'] },
          { type: 'topic', name: 'nope', keys: null },
        ]);
        expect(t).toMatchObject({ resourceType: 'topic', resourceName: 'a', errorCode: 0, errorMessage: null });
        const byName = new Map(t!.entries.map((e) => [e.name, e]));
        expect(byName.get('retention.ms')).toMatchObject({ value: '5000', source: 1, readOnly: false });
        expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', source: 5 });
        expect(typeof byName.get('cleanup.policy')!.documentation).toBe('string');
        expect(b).toMatchObject({ resourceType: 'broker', errorCode: 0 });
        expect(b!.entries.map((e) => e.name)).toEqual(['num.partitions']);
        expect(unknown!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      });

      it('alters (replace) and incrementally alters (set, delete, append) topic configs, visible in metadata() at once', async () => {
        const { api } = await open();
        await api.createTopics([topic('a', 1, { configs: { 'retention.ms': '5000' } })], { validateOnly: false });
        const [r] = await api.alterConfigs([{ type: 'topic', name: 'a', configs: { 'retention.bytes': '1000' } }], { validateOnly: false });
        expect(r).toEqual({ type: 'topic', name: 'a', errorCode: 0, errorMessage: null });
        expect(api.metadata().topics[0]!.configs).toEqual({ 'retention.bytes': '1000' });
        const [i] = await api.incrementalAlterConfigs(
          [
            {
              type: 'topic',
              name: 'a',
              ops: [
                { name: 'retention.ms', op: 'set', value: '7000' },
                { name: 'retention.bytes', op: 'delete', value: null },
              ],
            },
          ],
          { validateOnly: false },
        );
        expect(i!.errorCode).toBe(0);
        expect(api.metadata().topics[0]!.configs).toEqual({ 'retention.ms': '7000' });
        const [bad] = await api.incrementalAlterConfigs([{ type: 'topic', name: 'a', ops: [{ name: 'no.such.key', op: 'set', value: '1' }] }], { validateOnly: false });
        expect(bad!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
        const [dry] = await api.alterConfigs([{ type: 'topic', name: 'a', configs: {} }], { validateOnly: true });
        expect(dry!.errorCode).toBe(0);
        expect(api.metadata().topics[0]!.configs).toEqual({ 'retention.ms': '7000' });
      });
    });

    describe('client quotas', () => {
      const clientX = [{ entityType: 'client-id', entityName: 'x' }];
      const userDefault = [{ entityType: 'user', entityName: null }];

      it('sets, changes and removes quotas (visible in metadata() and to watchers when the call resolves), refusing what Kafka refuses per entity', async () => {
        const { api } = await open();
        const seen: ClusterMetadata[] = [];
        const stop = api.watch((m) => seen.push(m));
        const results = await api.alterClientQuotas(
          [
            { entity: clientX, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 12.5, remove: false }] },
            { entity: userDefault, ops: [{ key: 'consumer_byte_rate', value: 2048, remove: false }] },
            { entity: [{ entityType: 'user', entityName: 'u' }], ops: [{ key: 'no_such_key', value: 1, remove: false }] },
            { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }, { entityType: 'user', entityName: 'u' }], ops: [] },
          ],
          false,
        );
        expect(results).toEqual([
          { entity: clientX, errorCode: 0, errorMessage: null },
          { entity: userDefault, errorCode: 0, errorMessage: null },
          { entity: [{ entityType: 'user', entityName: 'u' }], errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid configuration key no_such_key' },
          { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }, { entityType: 'user', entityName: 'u' }], errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId' },
        ]);
        const expected = [
          { entity: clientX, values: { producer_byte_rate: 1024, request_percentage: 12.5 } },
          { entity: userDefault, values: { consumer_byte_rate: 2048 } },
        ];
        expect(api.metadata().quotas).toEqual(expected);
        expect(seen.at(-1)?.quotas).toEqual(expected);
        // validateOnly decides without storing.
        const [dry] = await api.alterClientQuotas([{ entity: clientX, ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], true);
        expect(dry!.errorCode).toBe(0);
        expect(api.metadata().quotas).toEqual(expected);
        await api.alterClientQuotas([{ entity: clientX, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }, { key: 'request_percentage', value: 0, remove: true }] }], false);
        expect(api.metadata().quotas).toEqual([expected[1]]);
        stop();
      });
    });

    describe('Kafka ACLs', () => {
      const read: AclBinding = { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: AclOp.READ, permission: Permission.ALLOW };
      const denyPrefixed: AclBinding = { ...read, resourceName: 'ord', patternType: PatternType.PREFIXED, principal: 'User:*', permission: Permission.DENY, operation: AclOp.WRITE };
      const groupAcl: AclBinding = { ...read, resourceType: ResourceType.GROUP, resourceName: 'app' };

      it('creates ACLs (visible in metadata() and to watchers when the call resolves), stores a repeat once, refuses invalid ones per item', async () => {
        const { api } = await open();
        const seen: ClusterMetadata[] = [];
        const stop = api.watch((m) => seen.push(m));
        const results = await api.createAcls([read, denyPrefixed, read, { ...read, patternType: PatternType.MATCH }, { ...read, resourceType: ResourceType.CLUSTER }]);
        expect(results.map((r) => r.errorCode)).toEqual([0, 0, 0, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
        expect(api.metadata().acls).toEqual([read, denyPrefixed]);
        expect(seen.at(-1)?.acls).toEqual([read, denyPrefixed]);
        stop();
      });

      it('describes by filter (MATCH included) and deletes per filter, answering what each matched', async () => {
        const { api } = await open();
        await api.createAcls([read, denyPrefixed, groupAcl]);
        const all = await api.describeAcls(MATCH_ALL_FILTER);
        expect(all).toEqual({ errorCode: 0, errorMessage: null, acls: [read, denyPrefixed, groupAcl] });
        const match = await api.describeAcls({ ...MATCH_ALL_FILTER, resourceType: ResourceType.TOPIC, patternType: PatternType.MATCH, resourceName: 'orders' });
        expect(match.acls).toEqual([read, denyPrefixed]);
        expect((await api.describeAcls({ ...MATCH_ALL_FILTER, operation: AclOp.UNKNOWN })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
        const deleted = await api.deleteAcls([{ ...MATCH_ALL_FILTER, resourceType: ResourceType.GROUP }, { ...MATCH_ALL_FILTER, principal: 'User:nobody' }]);
        expect(deleted).toEqual([
          { errorCode: 0, errorMessage: null, acls: [groupAcl] },
          { errorCode: 0, errorMessage: null, acls: [] },
        ]);
        expect(api.metadata().acls).toEqual([read, denyPrefixed]);
        await api.deleteAcls([MATCH_ALL_FILTER]);
        expect(api.metadata().acls).toEqual([]);
      });

      it('stores at most maxAcls', async () => {
        const { api } = await open({ maxAcls: 2 });
        const results = await api.createAcls([read, denyPrefixed, groupAcl]);
        expect(results.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.POLICY_VIOLATION]);
        expect(api.metadata().acls).toHaveLength(2);
      });
    });

    describe('commit and the partition index', () => {
      it('commits contiguous extents of the current epoch, idempotently per object key, and serves them by offset', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        const c1 = commitOf('o1', [extent(tp, 'o1', 0, 9)]);
        expect(await api.commit(c1)).toEqual({ rejected: [] });
        expect(await api.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]))).toEqual({ rejected: [] });
        expect(await api.commit(c1)).toEqual({ rejected: [] });
        expect(await api.committedEndOffset(tp)).toBe(20);
        expect(await api.logStartOffset(tp)).toBe(0);
        expect(await api.extentsFrom(tp, 12, 5)).toEqual([extent(tp, 'o2', 10, 19)]);
        expect((await api.extentsFrom(tp, 0, 5)).map((e) => e.objectKey)).toEqual(['o1', 'o2']);
        expect((await api.extentsFrom(tp, 0, 1)).map((e) => e.objectKey)).toEqual(['o1']);
        expect(await api.extentsFrom(tp, 20, 5)).toEqual([]);
        const unknown = { topicId: tp.topicId, partition: 9 };
        expect([await api.committedEndOffset(unknown), await api.logStartOffset(unknown), await api.extentsFrom(unknown, 0, 5)]).toEqual([0, 0, []]);
      });

      it('fences stale leader epochs and rejects gaps, overlaps and unknown partitions per partition', async () => {
        const { api, controller } = await open();
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        await api.registerBroker(BROKER_1); // epoch 1
        await controller.unregisterBroker(1); // epoch 2
        await api.registerBroker(BROKER_1); // epoch 3
        expect(api.metadata().topics[0]!.partitions[0]!.leaderEpoch).toBe(3);
        expect((await api.commit(commitOf('o1', [extent(tp, 'o1', 0, 9, 2)]))).rejected.map((r) => r.reason)).toEqual(['fenced']);
        expect((await api.commit(commitOf('o2', [extent(tp, 'o2', 5, 9, 3)]))).rejected.map((r) => r.reason)).toEqual(['offset_mismatch']);
        expect((await api.commit(commitOf('o3', [{ ...extent(tp, 'o3', 0, 1), partition: 7 }]))).rejected.map((r) => r.reason)).toEqual(['unknown_partition']);
        await api.commit(commitOf('o5', [extent(tp, 'o5', 0, 9, 3)]));
        const overlap = await api.commit(commitOf('o6', [extent(tp, 'o6', 5, 14, 3)]));
        expect(overlap.rejected).toEqual([{ ...tp, reason: 'offset_mismatch', detail: 'extent starts at 5, committed end is 10' }]);
        expect(await api.committedEndOffset(tp)).toBe(10);
      });

      it('refuses a malformed commit for good (CommitRefusedError) and keeps working', async () => {
        const { api } = await open({ maxExtentsPerCommit: 2 });
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        const wrongObject = api.commit(commitOf('o1', [extent(tp, 'other', 0, 9)]));
        await expect(wrongObject).rejects.toBeInstanceOf(CommitRefusedError);
        await expect(wrongObject).rejects.not.toBeInstanceOf(CommitTooLateError);
        await expect(wrongObject).rejects.toThrow(/names object other/);
        await expect(api.commit(commitOf('o1', [extent(tp, 'o1', 0, 0), extent(tp, 'o1', 1, 1), extent(tp, 'o1', 2, 2)]))).rejects.toThrow(/maxExtentsPerCommit/);
        expect(await api.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]))).toEqual({ rejected: [] });
      });

      it('refuses an object written too long ago (CommitTooLateError, a CommitRefusedError)', async () => {
        const { api, clock } = await open();
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        const key = streamSetObjectKey('stratus', 1, clock.nowMs(), 0);
        await clock.advance(31 * 60_000); // past half the default orphan age (60 min)
        const late = api.commit(commitOf(key, [extent(tp, key, 0, 9)]));
        await expect(late).rejects.toBeInstanceOf(CommitTooLateError);
        await expect(late).rejects.toBeInstanceOf(CommitRefusedError);
        const fresh = streamSetObjectKey('stratus', 1, clock.nowMs(), 1);
        expect(await api.commit(commitOf(fresh, [extent(tp, fresh, 0, 9)]))).toEqual({ rejected: [] });
      });

      it('lists the producer batches committed with objects', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        const batch = { ...tp, producerId: 7, producerEpoch: 0, baseSequence: 0, lastOffsetDelta: 9, baseOffset: 0 };
        await api.commit({ ...commitOf('o1', [extent(tp, 'o1', 0, 9)]), producers: [batch] });
        expect(await api.producerBatches(tp)).toEqual([batch]);
        expect(await api.producerBatches({ ...tp, partition: 3 })).toEqual([]);
      });

      it('pages through many extents in offset order', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        const all: Extent[] = [];
        for (let i = 0; i < 50; i++) {
          const e = extent(tp, `o${i}`, i * 10, i * 10 + 9, 0, { maxTimestamp: 1_700_000_000_000 + i, objectSize: 2 ** 40 });
          all.push(e);
          expect((await api.commit(commitOf(`o${i}`, [e], 2 ** 40))).rejected).toEqual([]);
        }
        const read: Extent[] = [];
        for (let offset = 0; ; ) {
          const page = await api.extentsFrom(tp, offset, 7);
          if (page.length === 0) break;
          read.push(...page);
          offset = page.at(-1)!.lastOffset + 1;
        }
        expect(read).toEqual(all);
        await expect(api.extentsFrom(tp, 0, -1)).rejects.toThrow(/maxExtents/);
      });

      it('deleteRecords moves the log start up (to the end with -1), never back, and refuses offsets past the end', async () => {
        const { api } = await open();
        await api.registerBroker(BROKER_1);
        const tp = { topicId: await createTopic(api, 'a'), partition: 0 };
        await api.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
        await api.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]));
        expect(await api.deleteRecords(tp, 12)).toEqual({ errorCode: 0, errorMessage: null, logStartOffset: 12 });
        expect(await api.logStartOffset(tp)).toBe(12);
        expect((await api.extentsFrom(tp, 0, 5)).map((e) => e.objectKey)).toEqual(['o2']);
        expect((await api.deleteRecords(tp, 5)).logStartOffset).toBe(12);
        expect((await api.deleteRecords(tp, 25)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
        expect(await api.deleteRecords(tp, -1)).toMatchObject({ errorCode: 0, logStartOffset: 20 });
        expect(await api.extentsFrom(tp, 0, 5)).toEqual([]);
        expect((await api.deleteRecords({ ...tp, partition: 4 }, 0)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      });
    });

    describe('group offsets and membership', () => {
      it('commits, fetches and deletes offsets keyed by partition; lists groups', async () => {
        const { api, clock } = await open();
        const a = await createTopic(api, 'a', 2);
        const rs = await api.commitOffsets('g1', [
          { topicId: a, partition: 0, offset: 10, leaderEpoch: 1, metadata: 'm' },
          { topicId: a, partition: 1, offset: 2 ** 40, leaderEpoch: 1, metadata: null },
          { topicId: a, partition: 5, offset: 1, leaderEpoch: 1, metadata: null },
        ]);
        expect(rs).toEqual([
          { topicId: a, partition: 0, errorCode: 0, errorMessage: null },
          { topicId: a, partition: 1, errorCode: 0, errorMessage: null },
          { topicId: a, partition: 5, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: expect.any(String) },
        ]);
        await api.commitOffsets('g2', [{ topicId: a, partition: 0, offset: 5, leaderEpoch: -1, metadata: '' }]);
        const now = clock.nowMs();
        expect(await api.fetchOffsets('g1', null)).toEqual(
          new Map([
            [partitionKey(a, 0), { offset: 10, leaderEpoch: 1, metadata: 'm', commitTimestampMs: now }],
            [partitionKey(a, 1), { offset: 2 ** 40, leaderEpoch: 1, metadata: null, commitTimestampMs: now }],
          ]),
        );
        expect(await api.fetchOffsets('g2', [{ topicId: a, partition: 0 }, { topicId: a, partition: 1 }])).toEqual(
          new Map([[partitionKey(a, 0), { offset: 5, leaderEpoch: -1, metadata: '', commitTimestampMs: now }]]),
        );
        expect(await api.fetchOffsets('nobody', null)).toEqual(new Map());
        expect(await api.groupsWithOffsets()).toEqual(['g1', 'g2']);
        await api.deleteOffsets('g1', [{ topicId: a, partition: 0 }]);
        expect([...(await api.fetchOffsets('g1', null)).keys()]).toEqual([partitionKey(a, 1)]);
        await api.deleteGroupOffsets('g1');
        await api.deleteGroupOffsets('never');
        expect(await api.groupsWithOffsets()).toEqual(['g2']);
      });

      it('records group membership reports and refuses malformed ones', async () => {
        const { api, controller } = await open();
        await createTopic(api, 'a');
        await api.recordGroupMembership('g', { nodeId: 1, hasMembers: true, subscribedTopics: ['a'] });
        await api.recordGroupMembership('h', { nodeId: 1, hasMembers: true, subscribedTopics: null });
        await api.recordGroupMembership('g', { nodeId: 1, hasMembers: false, subscribedTopics: null });
        // g has neither members nor offsets now: forgotten; h is kept.
        expect(controller.stats().groups).toBe(1);
        await expect(api.recordGroupMembership('', { nodeId: 1, hasMembers: true, subscribedTopics: null })).rejects.toThrow(/group id is empty/);
        await expect(api.recordGroupMembership('g', { nodeId: -1, hasMembers: true, subscribedTopics: null })).rejects.toThrow(/nodeId/);
      });
    });

    describe('producer ids', () => {
      it('hands out consecutive, non-overlapping blocks and refuses bad sizes', async () => {
        const { api } = await open({ maxProducerIdBlockSize: 1000 });
        const blocks = await Promise.all([api.allocateProducerIds(1000), api.allocateProducerIds(1), api.allocateProducerIds(500)]);
        expect(blocks).toEqual([
          { firstProducerId: 0, size: 1000 },
          { firstProducerId: 1000, size: 1 },
          { firstProducerId: 1001, size: 500 },
        ]);
        await expect(api.allocateProducerIds(0)).rejects.toThrow(/size must be/);
        await expect(api.allocateProducerIds(1001)).rejects.toThrow(/maxProducerIdBlockSize/);
        expect(await api.allocateProducerIds(1)).toEqual({ firstProducerId: 1501, size: 1 });
      });
    });

    describe('cluster: leases, fencing and moves', () => {
      /** The subject's metadata has caught up with the controller's (the gRPC client's copy follows a watch). */
      async function caughtUp(subject: ContractSubject): Promise<void> {
        for (let i = 0; i < 400; i++) {
          if (subject.api.metadata().version >= subject.controller.metadata().version) return;
          await new Promise((r) => setTimeout(r, 5));
        }
        throw new Error('metadata did not catch up within 2 s');
      }

      it('registers with a new broker epoch and lease, renews it by heartbeat, and fences old epochs and lapsed leases', async () => {
        const subject = await open({ cluster: { brokerLeaseMs: 6000 } });
        const { api, controller, clock } = subject;
        const first = await api.registerBroker(BROKER_1);
        expect(first.leaseExpiresAtMs).toBe(clock.nowMs() + 6000);
        const second = await api.registerBroker(BROKER_1);
        expect(second.brokerEpoch).toBeGreaterThan(first.brokerEpoch);
        await api.registerBroker(BROKER_2);
        await clock.advance(4000);
        expect(await api.heartbeat(1, second.brokerEpoch)).toEqual({ fenced: false, leaseExpiresAtMs: clock.nowMs() + 6000 });
        expect((await api.heartbeat(1, first.brokerEpoch)).fenced).toBe(true);
        expect((await api.heartbeat(42, second.brokerEpoch)).fenced).toBe(true);
        await clock.advance(2000);
        expect((await controller.runClusterCheck()).brokersFenced).toBe(1);
        await caughtUp(subject);
        expect(api.metadata().brokers.map((b) => [b.nodeId, b.fenced])).toEqual([
          [1, false],
          [2, true],
        ]);
        const d = await api.describeCluster();
        expect(d.brokers.map((b) => [b.nodeId, b.brokerEpoch > 0, b.fenced, b.draining])).toEqual([
          [1, true, false, false],
          [2, true, true, false],
        ]);
        expect(d.brokers[0]!.leaseExpiresAtMs).toBe(clock.nowMs() + 4000);
      });

      it('moves a partition gracefully: movingTo in metadata, release checked by epochs, the new leader visible when the release resolves', async () => {
        const subject = await open();
        const { api, controller } = subject;
        const e1 = (await api.registerBroker(BROKER_1)).brokerEpoch;
        const topicId = await createTopic(api, 'a', 2);
        const e2 = (await api.registerBroker(BROKER_2)).brokerEpoch;
        expect((await controller.runClusterCheck()).movesStarted).toBe(1);
        await caughtUp(subject);
        const moving = api.metadata().topics[0]!.partitions.filter((p) => p.movingTo !== undefined);
        expect(moving).toEqual([{ partition: moving[0]!.partition, leader: 1, leaderEpoch: moving[0]!.leaderEpoch, movingTo: 2 }]);
        const tp = { topicId, partition: moving[0]!.partition };
        expect((await api.describeCluster()).moves).toEqual([{ ...tp, from: 1, to: 2, startedAtMs: subject.clock.nowMs() }]);
        expect((await api.releasePartition(tp, moving[0]!.leaderEpoch, e2)).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
        expect(await api.releasePartition(tp, moving[0]!.leaderEpoch, e1)).toEqual({ errorCode: 0, errorMessage: null });
        expect(api.metadata().topics[0]!.partitions[tp.partition]).toEqual({ partition: tp.partition, leader: 2, leaderEpoch: moving[0]!.leaderEpoch + 1 });
        expect((await api.releasePartition(tp, moving[0]!.leaderEpoch, e1)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
      });

      it('drains a broker and reassigns partitions, answering per item', async () => {
        const subject = await open();
        const { api, controller } = subject;
        await api.registerBroker(BROKER_1);
        await api.registerBroker(BROKER_2);
        const topicId = await createTopic(api, 'a', 4);
        const drained = await api.drainBroker(2, true);
        expect(drained).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 2, draining: true, drainReason: 'operator' });
        expect(api.metadata().brokers.find((b) => b.nodeId === 2)).toMatchObject({ draining: true });
        expect((await api.drainBroker(2, true)).partitionsToMove).toBe(2);
        expect((await api.drainBroker(9, true)).errorCode).toBe(ErrorCode.BROKER_NOT_AVAILABLE);
        const d = await api.describeCluster();
        expect(d.brokers.map((b) => [b.nodeId, b.draining, b.leaderOf])).toEqual([
          [1, false, 2],
          [2, true, 2],
        ]);
        await controller.runClusterCheck();
        await caughtUp(subject);
        expect(api.metadata().topics[0]!.partitions.filter((p) => p.movingTo === 1)).toHaveLength(2);

        const on1 = api.metadata().topics[0]!.partitions.find((p) => p.leader === 1)!.partition;
        const r = await api.reassignPartitions([
          { topicId, partition: on1, leader: 2 },
          { topicId, partition: 11, leader: 1 },
        ]);
        expect(r).toEqual([
          { topicId, partition: on1, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: expect.stringContaining('Broker 2') },
          { topicId, partition: 11, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: expect.any(String) },
        ]);
        expect((await api.drainBroker(2, false)).errorCode).toBe(0);
        expect(api.metadata().brokers.find((b) => b.nodeId === 2)).toMatchObject({ draining: false });
        expect((await api.reassignPartitions([{ topicId, partition: on1, leader: 2 }]))[0]!.errorCode).toBe(0);
        expect(api.metadata().topics[0]!.partitions[on1]!.movingTo).toBe(2);
      });

      it("keeps an operator's drain through a broker's shutdown drain and restart; a shutdown drain is undone by the start", async () => {
        const subject = await open();
        const { api } = subject;
        await api.registerBroker(BROKER_1);
        await api.registerBroker(BROKER_2);
        await createTopic(api, 'a', 4);
        const reasons = async () => (await api.describeCluster()).brokers.map((b) => [b.nodeId, b.draining, b.drainReason]);

        // The broker's own: SIGTERM drains with 'shutdown', the next start undoes it.
        expect(await api.drainBroker(2, true, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 2, draining: true, drainReason: 'shutdown' });
        expect(await reasons()).toEqual([[1, false, null], [2, true, 'shutdown']]);
        expect(await api.drainBroker(2, false, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 0, draining: false, drainReason: null });
        expect(api.metadata().brokers.find((b) => b.nodeId === 2)).toMatchObject({ draining: false });

        // An operator's (no reason given: 'operator'): a shutdown drain on top leaves it the
        // operator's, and the start's undrain answers OK with the drain still in force.
        expect(await api.drainBroker(2, true)).toMatchObject({ errorCode: 0, draining: true, drainReason: 'operator' });
        expect(await api.drainBroker(2, true, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 2, draining: true, drainReason: 'operator' });
        expect(await api.drainBroker(2, false, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 2, draining: true, drainReason: 'operator' });
        await api.registerBroker(BROKER_2);
        expect(await reasons()).toEqual([[1, false, null], [2, true, 'operator']]);
        expect(api.metadata().brokers.find((b) => b.nodeId === 2)).toMatchObject({ draining: true });

        // An operator draining a broker that drains for shutdown takes it over: its restart keeps it.
        expect(await api.drainBroker(1, true, 'shutdown')).toMatchObject({ drainReason: 'shutdown' });
        expect(await api.drainBroker(1, true, 'operator')).toMatchObject({ draining: true, drainReason: 'operator' });
        expect(await api.drainBroker(1, false, 'shutdown')).toMatchObject({ errorCode: 0, draining: true, drainReason: 'operator' });

        // An operator's undrain clears either.
        expect(await api.drainBroker(2, false)).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 0, draining: false, drainReason: null });
        expect(await api.drainBroker(1, true, 'shutdown')).toMatchObject({ drainReason: 'operator' });
        expect(await api.drainBroker(1, false, 'operator')).toMatchObject({ draining: false, drainReason: null });
        expect(await api.drainBroker(1, true, 'shutdown')).toMatchObject({ drainReason: 'shutdown' });
        expect(await api.drainBroker(1, false)).toMatchObject({ draining: false, drainReason: null });
        expect(await reasons()).toEqual([[1, false, null], [2, false, null]]);
        expect((await api.drainBroker(9, false, 'shutdown')).errorCode).toBe(ErrorCode.BROKER_NOT_AVAILABLE);
      });
    });

    it('one failing request does not poison the next', async () => {
      const { api } = await open();
      await api.registerBroker(BROKER_1);
      const tp: TopicPartition = { topicId: await createTopic(api, 'a'), partition: 0 };
      const results = await Promise.allSettled([api.commit(commitOf('bad', [extent(tp, 'other', 0, 9)])), api.commit(commitOf('good', [extent(tp, 'good', 0, 9)]))]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
      expect(await api.committedEndOffset(tp)).toBe(10);
    });
  });
}
