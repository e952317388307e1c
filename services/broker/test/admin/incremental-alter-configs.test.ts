import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { incrementalAlterConfigsHandler } from '../../src/handlers/44-incremental-alter-configs.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

const handlerShape = incrementalAlterConfigsHandler(adminFixture().ctx);

describe('IncrementalAlterConfigs handler', () => {
  it('accepts every schema version, 0–1', () => {
    expect(handlerShape.accept).toEqual([0, 1]);
  });
});

describe.each(acceptedVersions(handlerShape))('IncrementalAlterConfigs v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof incrementalAlterConfigsHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('events', 1, { 'retention.ms': '1000', 'segment.bytes': '1048576' });
    f.controller.addTopic('compacted', 1, { 'cleanup.policy': 'compact,delete' });
    handler = incrementalAlterConfigsHandler(f.ctx);
  });

  it('applies SET, DELETE, APPEND and SUBTRACT per key, leaving other keys alone', async () => {
    const res = await call(handler, version, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: 'events',
          configs: [
            { name: 'retention.ms', configOperation: SET, value: '2000' },
            { name: 'segment.bytes', configOperation: DELETE, value: null },
            { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
          ],
        },
        { resourceType: TOPIC, resourceName: 'compacted', configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }] },
      ],
      validateOnly: false,
    });
    expect(res.responses).toEqual([
      { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'events' },
      { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'compacted' },
    ]);
    expect(f.controller.topic('events')?.configs).toEqual({ 'retention.ms': '2000', 'cleanup.policy': 'delete,compact' });
    expect(f.controller.topic('compacted')?.configs).toEqual({ 'cleanup.policy': 'compact' });
    expect(f.controller.calls[0]?.args[0]).toEqual([
      {
        type: 'topic',
        name: 'events',
        ops: [
          { name: 'retention.ms', op: 'set', value: '2000' },
          { name: 'segment.bytes', op: 'delete', value: null },
          { name: 'cleanup.policy', op: 'append', value: 'compact' },
        ],
      },
      { type: 'topic', name: 'compacted', ops: [{ name: 'cleanup.policy', op: 'subtract', value: 'delete' }] },
    ]);
  });

  it("passes the controller's verdicts through, and validateOnly changes nothing", async () => {
    const res = await call(handler, version, {
      resources: [
        { resourceType: TOPIC, resourceName: 'events', configs: [{ name: 'retention.ms', configOperation: APPEND, value: '5' }] },
        { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: SET, value: '5' }] },
        { resourceType: TOPIC, resourceName: 'compacted', configs: [{ name: 'cleanup.policy', configOperation: SET, value: 'delete' }] },
      ],
      validateOnly: true,
    });
    expect(res.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['events', ErrorCode.INVALID_CONFIG, 'Config value append is not allowed for config key: retention.ms'],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
      ['compacted', ErrorCode.NONE, null],
    ]);
    expect(f.controller.topic('compacted')?.configs).toEqual({ 'cleanup.policy': 'compact,delete' });
    expect(f.controller.calls[0]?.args[1]).toEqual({ validateOnly: true });
  });

  it('refuses null values, unknown operations, duplicate keys and broker changes without the controller', async () => {
    const res = await call(handler, version, {
      resources: [
        { resourceType: TOPIC, resourceName: 'events', configs: [{ name: 'retention.ms', configOperation: SET, value: null }, { name: 'segment.bytes', configOperation: APPEND, value: null }] },
        { resourceType: TOPIC, resourceName: 'compacted', configs: [{ name: 'cleanup.policy', configOperation: 9, value: 'x' }] },
        { resourceType: TOPIC, resourceName: 'other', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }, { name: 'retention.ms', configOperation: DELETE, value: null }] },
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', configOperation: DELETE, value: null }] },
        { resourceType: BROKER, resourceName: '', configs: [] },
      ],
      validateOnly: false,
    });
    expect(res.responses.map((r) => [r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      ['events', ErrorCode.INVALID_REQUEST, 'Null value not supported for : retention.ms, segment.bytes'],
      ['compacted', ErrorCode.INVALID_REQUEST, 'Unknown config operation 9 for cleanup.policy'],
      ['other', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      ['1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: num.partitions'],
      ['', ErrorCode.NONE, null],
    ]);
    expect(f.controller.calls).toHaveLength(0);
  });
});
