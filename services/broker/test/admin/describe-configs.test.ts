import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import type { DescribeConfigsRequestDescribeConfigsResource, Input } from '@stratus/protocol';
import { describeConfigsHandler } from '../../src/handlers/32-describe-configs.ts';
import { Source, TOPIC_CONFIGS, Type } from './support/fake-controller.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

const handlerShape = describeConfigsHandler(adminFixture().ctx);

function resource(resourceType: number, resourceName: string, configurationKeys: string[] | null = null): Input<DescribeConfigsRequestDescribeConfigsResource> {
  return { resourceType, resourceName, configurationKeys };
}

describe('DescribeConfigs handler', () => {
  it('accepts every schema version, 0–4 (KAFKA-COMPAT asks for 1–4)', () => {
    expect(handlerShape.accept).toEqual([0, 4]);
  });
});

describe.each(acceptedVersions(handlerShape))('DescribeConfigs v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof describeConfigsHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('events', 3, { 'retention.ms': '86400000' });
    handler = describeConfigsHandler(f.ctx);
  });

  it('returns every topic config with its value and source, defaults included', async () => {
    const res = await call(handler, version, { resources: [resource(TOPIC, 'events')], includeSynonyms: false, includeDocumentation: false });
    expect(res.results).toHaveLength(1);
    const result = res.results[0]!;
    expect(result).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'events' });
    expect(result.configs.map((c) => c.name)).toEqual(TOPIC_CONFIGS.map((d) => d.name));
    const retention = result.configs.find((c) => c.name === 'retention.ms')!;
    const policy = result.configs.find((c) => c.name === 'cleanup.policy')!;
    expect(retention).toMatchObject({ value: '86400000', readOnly: false, isSensitive: false, synonyms: [] });
    expect(policy).toMatchObject({ value: 'delete', readOnly: false, isSensitive: false });
    if (version === 0) {
      expect(retention.isDefault).toBe(false);
      expect(policy.isDefault).toBe(true);
    } else {
      expect(retention.configSource).toBe(Source.DYNAMIC_TOPIC);
      expect(policy.configSource).toBe(Source.DEFAULT);
    }
    // Documentation was not asked for (before v3 the field is absent and decodes as '');
    // the type is always given (v3+).
    expect(retention.documentation).toBe(version >= 3 ? null : '');
    expect(retention.configType).toBe(version >= 3 ? Type.LONG : 0);
  });

  it('filters by configuration keys; an empty key list means all keys', async () => {
    const res = await call(handler, version, {
      resources: [resource(TOPIC, 'events', ['segment.bytes', 'no.such.key']), resource(TOPIC, 'events', [])],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(res.results[0]?.configs.map((c) => [c.name, c.value])).toEqual([['segment.bytes', '1073741824']]);
    expect(res.results[1]?.configs).toHaveLength(TOPIC_CONFIGS.length);
  });

  it('adds the entry itself as its synonym (v1+) and documentation (v3+) when asked', async () => {
    const res = await call(handler, version, { resources: [resource(TOPIC, 'events', ['retention.ms'])], includeSynonyms: true, includeDocumentation: true });
    const entry = res.results[0]!.configs[0]!;
    expect(entry.synonyms).toEqual(version >= 1 ? [{ name: 'retention.ms', value: '86400000', source: Source.DYNAMIC_TOPIC }] : []);
    expect(entry.documentation).toBe(version >= 3 ? TOPIC_CONFIGS.find((d) => d.name === 'retention.ms')!.documentation : '');
  });

  it('answers this broker with its static configs, hiding sensitive values', async () => {
    const res = await call(handler, version, { resources: [resource(BROKER, '1')], includeSynonyms: true, includeDocumentation: false });
    const result = res.results[0]!;
    expect(result).toMatchObject({ errorCode: ErrorCode.NONE, resourceType: BROKER, resourceName: '1' });
    const password = result.configs.find((c) => c.name === 'ssl.keystore.password')!;
    expect(password).toMatchObject({ value: null, isSensitive: true, readOnly: true });
    if (version >= 1) expect(password.synonyms).toEqual([{ name: 'ssl.keystore.password', value: null, source: Source.STATIC_BROKER }]);
    const brokerId = result.configs.find((c) => c.name === 'broker.id')!;
    expect(brokerId.value).toBe('1');
    if (version === 0) {
      expect(brokerId.isDefault).toBe(false);
      expect(result.configs.find((c) => c.name === 'log.retention.hours')?.isDefault).toBe(true);
    } else expect(brokerId.configSource).toBe(Source.STATIC_BROKER);
  });

  it('answers per resource: unknown topics, other brokers, bad names and unsupported types', async () => {
    const res = await call(handler, version, {
      resources: [resource(TOPIC, 'missing'), resource(BROKER, ''), resource(BROKER, '2'), resource(BROKER, 'one'), resource(BROKER_LOGGER, '1'), resource(TOPIC, 'events', ['retention.ms'])],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(res.results.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage, r.configs.length])).toEqual([
      [TOPIC, 'missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist.", 0],
      [BROKER, '', ErrorCode.NONE, null, 0],
      [BROKER, '2', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 or empty string, but received 2', 0],
      [BROKER, 'one', ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: one', 0],
      [BROKER_LOGGER, '1', ErrorCode.INVALID_REQUEST, 'Unsupported resource type: BROKER_LOGGER', 0],
      [TOPIC, 'events', ErrorCode.NONE, null, 1],
    ]);
    // Only the topics reached the controller, in one call.
    expect(f.controller.calls).toHaveLength(1);
    expect(f.controller.calls[0]?.args[0]).toEqual([
      { type: 'topic', name: 'missing', keys: null },
      { type: 'topic', name: 'events', keys: ['retention.ms'] },
    ]);
  });
});
