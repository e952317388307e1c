// Topic and broker configs: the schema (types, defaults, validation), DescribeConfigs
// sources and filters, AlterConfigs replacing the explicit set, and
// IncrementalAlterConfigs operations.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { Controller, MemoryMetadataStore, TOPIC_CONFIG_KEYS } from '../src/index.ts';
import { MemoryObjectStore } from '@stratus/objectstore';
import { createTopic, openHarness } from './support/helpers.ts';

async function entries(c: Controller, name: string, keys: string[] | null = null): Promise<Record<string, { value: string | null; source: number; type: number; readOnly: boolean }>> {
  const [r] = await c.describeConfigs([{ type: 'topic', name, keys }]);
  expect(r!.errorCode).toBe(0);
  return Object.fromEntries(r!.entries.map((e) => [e.name, { value: e.value, source: e.source, type: e.type, readOnly: e.readOnly }]));
}

describe('the topic config schema', () => {
  it('knows every topic config of Apache Kafka 4.3 (with its default), stratus.durability and stratus.unclean.failover.grace.ms', () => {
    // Kafka 4.3.1's LogConfig.configDefCopy(), internal.* keys left out.
    const kafka4: Record<string, string> = {
      'cleanup.policy': 'delete',
      'compression.gzip.level': '-1',
      'compression.lz4.level': '9',
      'compression.type': 'producer',
      'compression.zstd.level': '3',
      'delete.retention.ms': '86400000',
      'file.delete.delay.ms': '60000',
      'flush.messages': '9223372036854775807',
      'flush.ms': '9223372036854775807',
      'follower.replication.throttled.replicas': '',
      'index.interval.bytes': '4096',
      'leader.replication.throttled.replicas': '',
      'local.retention.bytes': '-2',
      'local.retention.ms': '-2',
      'max.compaction.lag.ms': '9223372036854775807',
      'max.message.bytes': '1048588',
      'message.timestamp.after.max.ms': '3600000',
      'message.timestamp.before.max.ms': '9223372036854775807',
      'message.timestamp.type': 'CreateTime',
      'min.cleanable.dirty.ratio': '0.5',
      'min.compaction.lag.ms': '0',
      'min.insync.replicas': '1',
      preallocate: 'false',
      'remote.log.copy.disable': 'false',
      'remote.log.delete.on.disable': 'false',
      'remote.storage.enable': 'false',
      'retention.bytes': '-1',
      'retention.ms': '604800000',
      'segment.bytes': '1073741824',
      'segment.index.bytes': '10485760',
      'segment.jitter.ms': '0',
      'segment.ms': '604800000',
      'unclean.leader.election.enable': 'false',
    };
    expect([...TOPIC_CONFIG_KEYS.keys()].sort()).toEqual([...Object.keys(kafka4), 'stratus.durability', 'stratus.unclean.failover.grace.ms'].sort());
    for (const [name, value] of Object.entries(kafka4)) expect(TOPIC_CONFIG_KEYS.get(name)!.defaultValue, name).toBe(value);
    for (const k of TOPIC_CONFIG_KEYS.values()) {
      expect(k.validate(k.defaultValue), k.name).toBeUndefined();
      expect(k.documentation.length, k.name).toBeGreaterThan(10);
    }
  });

  it.each([
    ['retention.ms', '-1', true],
    ['retention.ms', '9223372036854775807', true],
    ['retention.ms', '9223372036854775808', false],
    ['retention.ms', '-2', false],
    ['retention.ms', '1h', false],
    ['retention.bytes', '1073741824', true],
    ['max.message.bytes', '2147483647', true],
    ['max.message.bytes', '2147483648', false],
    ['max.message.bytes', '-1', false],
    ['cleanup.policy', 'delete', true],
    ['cleanup.policy', 'delete,compact', false],
    ['cleanup.policy', '', false],
    ['message.timestamp.type', 'LogAppendTime', true],
    ['message.timestamp.type', 'logappendtime', false],
    ['compression.type', 'producer', true],
    ['compression.type', 'zstd', false],
    ['compression.type', 'brotli', false],
    ['min.insync.replicas', '2', true],
    ['min.insync.replicas', '0', false],
    ['segment.bytes', '14', true],
    ['segment.bytes', '13', false],
    ['segment.ms', '1', true],
    ['flush.ms', '1000', true],
    ['flush.ms', '-1', false],
    ['flush.messages', '0', false],
    ['preallocate', 'TRUE', true],
    ['preallocate', 'yes', false],
    ['unclean.leader.election.enable', 'true', true],
    ['min.cleanable.dirty.ratio', '0.01', true],
    ['min.cleanable.dirty.ratio', '1.5', false],
    ['min.cleanable.dirty.ratio', 'half', false],
    ['compression.gzip.level', '-1', true],
    ['compression.gzip.level', '0', false],
    ['compression.zstd.level', '-131072', true],
    ['compression.zstd.level', '23', false],
    ['leader.replication.throttled.replicas', '*', true],
    ['leader.replication.throttled.replicas', '0:1,1:2', true],
    ['leader.replication.throttled.replicas', '0-1', false],
    ['local.retention.ms', '-2', true],
    ['local.retention.ms', '-3', false],
    ['message.timestamp.after.max.ms', '0', true],
    ['message.timestamp.before.max.ms', '-1', false],
    ['stratus.durability', 'object', true],
    ['stratus.durability', 'disk', false],
  ])('%s = %s valid: %s', (name, value, valid) => {
    expect(TOPIC_CONFIG_KEYS.get(name)!.validate(value) === undefined).toBe(valid);
  });

  it('stores and describes the Kafka configs that have no effect here, saying so', async () => {
    const { controller } = await openHarness();
    const set = { 'flush.ms': '1000', 'flush.messages': '10', 'index.interval.bytes': '1024', 'segment.index.bytes': '4096', preallocate: 'true', 'unclean.leader.election.enable': 'true', 'min.insync.replicas': '2' };
    await createTopic(controller, 'quiet', 1, set);
    const e = await entries(controller, 'quiet');
    for (const [name, value] of Object.entries(set)) expect(e[name], name).toMatchObject({ value, source: 1 });
    const [described] = await controller.describeConfigs([{ type: 'topic', name: 'quiet', keys: ['flush.ms', 'preallocate', 'retention.ms'] }]);
    const docs = Object.fromEntries(described!.entries.map((x) => [x.name, x.documentation]));
    expect(docs['flush.ms']).toContain('has no effect in Stratus');
    expect(docs['preallocate']).toContain('has no effect in Stratus');
    expect(docs['retention.ms']).not.toContain('no effect');
  });

  it('explains what it refuses', () => {
    expect(TOPIC_CONFIG_KEYS.get('cleanup.policy')!.validate('compact')).toContain('compaction is not supported yet');
    expect(TOPIC_CONFIG_KEYS.get('compression.type')!.validate('gzip')).toContain('never re-encodes');
  });
});

describe('describeConfigs', () => {
  it('returns every topic key: set ones as dynamic, the rest as defaults', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a', 1, { 'retention.ms': '1000', 'stratus.durability': 'object' });
    const e = await entries(controller, 'a');
    expect(Object.keys(e)).toHaveLength(TOPIC_CONFIG_KEYS.size);
    expect(e['retention.ms']).toEqual({ value: '1000', source: 1, type: 5, readOnly: false });
    expect(e['stratus.durability']).toEqual({ value: 'object', source: 1, type: 2, readOnly: false });
    expect(e['retention.bytes']).toEqual({ value: '-1', source: 5, type: 5, readOnly: false });
    expect(e['max.message.bytes']).toEqual({ value: '1048588', source: 5, type: 3, readOnly: false });
    expect(e['cleanup.policy']).toEqual({ value: 'delete', source: 5, type: 7, readOnly: false });
    const [full] = await controller.describeConfigs([{ type: 'topic', name: 'a', keys: ['retention.ms'] }]);
    expect(full!.entries).toEqual([
      {
        name: 'retention.ms',
        value: '1000',
        readOnly: false,
        source: 1,
        sensitive: false,
        type: 5,
        documentation: TOPIC_CONFIG_KEYS.get('retention.ms')!.documentation,
      },
    ]);
  });

  it('filters by keys, ignoring unknown ones, and reports unknown topics', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a');
    expect(Object.keys(await entries(controller, 'a', ['segment.ms', 'nope']))).toEqual(['segment.ms']);
    const [r] = await controller.describeConfigs([{ type: 'topic', name: 'missing', keys: null }]);
    expect(r).toMatchObject({ resourceType: 'topic', resourceName: 'missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, entries: [] });
  });

  it('refuses max.message.bytes above what the brokers\' storage holds, naming both numbers', async () => {
    const { controller } = await openHarness({ maxBatchBytes: 16_777_190 });
    const [created] = await controller.createTopics([{ name: 'huge', numPartitions: 1, replicationFactor: -1, configs: { 'max.message.bytes': '30000000' } }], { validateOnly: false });
    expect(created).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(created!.errorMessage).toContain('30000000');
    expect(created!.errorMessage).toContain('16777190');
    await createTopic(controller, 'big', 1, { 'max.message.bytes': '16777190' });
    const [altered] = await controller.incrementalAlterConfigs([{ type: 'topic', name: 'big', ops: [{ name: 'max.message.bytes', op: 'set', value: '16777191' }] }], { validateOnly: false });
    expect(altered).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    const [replaced] = await controller.alterConfigs([{ type: 'topic', name: 'big', configs: { 'max.message.bytes': '20000000' } }], { validateOnly: false });
    expect(replaced).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect((await entries(controller, 'big', ['max.message.bytes']))['max.message.bytes']!.value).toBe('16777190');
  });

  it('refuses to open with message.max.bytes above what the brokers\' storage holds', async () => {
    await expect(openHarness({ maxBatchBytes: 1_000_000, brokerConfigs: { 'message.max.bytes': '1048588' } })).rejects.toThrow(/message.max.bytes 1048588 exceeds 1000000/);
  });

  it('describes the broker resource from the controller options, read-only; topic defaults follow it', async () => {
    const { controller } = await openHarness({ brokerConfigs: { 'num.partitions': '3', 'log.retention.ms': '3600000', 'auto.create.topics.enable': 'false' } });
    const [b, bad] = await controller.describeConfigs([
      { type: 'broker', name: '1', keys: null },
      { type: 'broker', name: 'x', keys: null },
    ]);
    const byName = Object.fromEntries(b!.entries.map((e) => [e.name, e]));
    expect(byName['num.partitions']).toMatchObject({ value: '3', source: 4, readOnly: true, type: 3, sensitive: false });
    expect(byName['log.retention.ms']).toMatchObject({ value: '3600000', source: 4, type: 5 });
    expect(byName['auto.create.topics.enable']).toMatchObject({ value: 'false', type: 1 });
    expect(byName['message.max.bytes']).toMatchObject({ value: '1048588' });
    expect(bad!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    await createTopic(controller, 't');
    expect((await entries(controller, 't'))['retention.ms']).toMatchObject({ value: '3600000', source: 5 });
  });

  it('refuses unknown or invalid broker configs at open, naming the key', async () => {
    const base = { store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore() };
    await expect(Controller.open({ ...base, brokerConfigs: { 'log.dirs': '/x' } })).rejects.toThrow(/unknown key log.dirs/);
    await expect(Controller.open({ ...base, store: new MemoryMetadataStore(), brokerConfigs: { 'num.partitions': '0' } })).rejects.toThrow(/num.partitions/);
  });
});

describe('alterConfigs', () => {
  it('replaces all explicit configs of a topic', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a', 1, { 'retention.ms': '1000', 'segment.ms': '5' });
    const [r] = await controller.alterConfigs([{ type: 'topic', name: 'a', configs: { 'retention.bytes': '100' } }], { validateOnly: false });
    expect(r).toEqual({ type: 'topic', name: 'a', errorCode: 0, errorMessage: null });
    expect(controller.metadata().topics[0]!.configs).toEqual({ 'retention.bytes': '100' });
    expect((await entries(controller, 'a'))['retention.ms']).toMatchObject({ value: '604800000', source: 5 });
  });

  it('reports errors per resource and honours validateOnly', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a');
    const rs = await controller.alterConfigs(
      [
        { type: 'topic', name: 'a', configs: { 'compression.type': 'gzip' } },
        { type: 'topic', name: 'nope', configs: {} },
        { type: 'topic', name: 'a', configs: { 'no.key': '1' } },
        { type: 'broker', name: '1', configs: { 'num.partitions': '3' } },
      ],
      { validateOnly: false },
    );
    expect(rs.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(rs[0]!.errorMessage).toContain('Duplicate resource');
    expect(rs[3]!.errorMessage).toContain('read-only');
    const [bad] = await controller.alterConfigs([{ type: 'topic', name: 'a', configs: { 'compression.type': 'gzip' } }], { validateOnly: false });
    expect(bad).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(bad!.errorMessage).toContain('never re-encodes');
    const [nul] = await controller.alterConfigs([{ type: 'topic', name: 'a', configs: { 'retention.ms': null } }], { validateOnly: false });
    expect(nul!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const [dry] = await controller.alterConfigs([{ type: 'topic', name: 'a', configs: { 'retention.ms': '1' } }], { validateOnly: true });
    expect(dry!.errorCode).toBe(0);
    expect(controller.metadata().topics[0]!.configs).toEqual({});
  });
});

describe('incrementalAlterConfigs', () => {
  it('sets and deletes keys, keeping the others', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a', 1, { 'retention.ms': '1000', 'segment.ms': '5' });
    const [r] = await controller.incrementalAlterConfigs(
      [
        {
          type: 'topic',
          name: 'a',
          ops: [
            { name: 'retention.bytes', op: 'set', value: '100' },
            { name: 'segment.ms', op: 'delete', value: null },
          ],
        },
      ],
      { validateOnly: false },
    );
    expect(r!.errorCode).toBe(0);
    expect(controller.metadata().topics[0]!.configs).toEqual({ 'retention.ms': '1000', 'retention.bytes': '100' });
  });

  it('appends to and subtracts from list configs only, starting from the default', async () => {
    const { controller } = await openHarness();
    await createTopic(controller, 'a');
    const run = async (ops: { name: string; op: 'append' | 'subtract' | 'set'; value: string }[]) =>
      (await controller.incrementalAlterConfigs([{ type: 'topic', name: 'a', ops }], { validateOnly: false }))[0]!;
    expect(await run([{ name: 'cleanup.policy', op: 'append', value: 'delete' }])).toMatchObject({ errorCode: 0 });
    expect(controller.metadata().topics[0]!.configs).toEqual({ 'cleanup.policy': 'delete' });
    const compact = await run([{ name: 'cleanup.policy', op: 'append', value: 'compact' }]);
    expect(compact.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    expect(compact.errorMessage).toContain('compaction is not supported yet');
    expect((await run([{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }])).errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const notList = await run([{ name: 'retention.ms', op: 'append', value: '5' }]);
    expect(notList).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    expect(notList.errorMessage).toContain('not a list');
    expect(controller.metadata().topics[0]!.configs).toEqual({ 'cleanup.policy': 'delete' });
  });

  it('refuses unknown keys, duplicate keys, null sets, and honours validateOnly', async () => {
    const { controller, store } = await openHarness();
    await createTopic(controller, 'a');
    const rs = await controller.incrementalAlterConfigs(
      [
        { type: 'topic', name: 'a', ops: [{ name: 'nope', op: 'set', value: '1' }] },
        { type: 'topic', name: 'nope', ops: [] },
      ],
      { validateOnly: false },
    );
    expect(rs.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(rs[0]!.errorMessage).toBe('Unknown topic config name: nope');
    const [dup] = await controller.incrementalAlterConfigs(
      [
        {
          type: 'topic',
          name: 'a',
          ops: [
            { name: 'retention.ms', op: 'set', value: '1' },
            { name: 'retention.ms', op: 'delete', value: null },
          ],
        },
      ],
      { validateOnly: false },
    );
    expect(dup!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const [nul] = await controller.incrementalAlterConfigs([{ type: 'topic', name: 'a', ops: [{ name: 'retention.ms', op: 'set', value: null }] }], { validateOnly: false });
    expect(nul!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const appends = store.appends;
    const [dry] = await controller.incrementalAlterConfigs([{ type: 'topic', name: 'a', ops: [{ name: 'retention.ms', op: 'set', value: '1' }] }], { validateOnly: true });
    expect(dry!.errorCode).toBe(0);
    expect(controller.metadata().topics[0]!.configs).toEqual({});
    expect(store.appends).toBe(appends);
  });
});
