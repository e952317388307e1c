import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { alterConfigsHandler } from '../../src/handlers/33-alter-configs.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const TOPIC = 2;
const BROKER = 4;
const GROUP = 32;

const handlerShape = alterConfigsHandler(adminFixture().ctx);

describe('AlterConfigs handler', () => {
  it('accepts every schema version, 0–2', () => {
    expect(handlerShape.accept).toEqual([0, 2]);
  });
});

describe.each(acceptedVersions(handlerShape))('AlterConfigs v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof alterConfigsHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('events', 1, { 'retention.ms': '1000', 'segment.bytes': '1048576' });
    f.controller.addTopic('other', 1);
    handler = alterConfigsHandler(f.ctx);
  });

  it("replaces a topic's dynamic configs and answers per resource", async () => {
    const res = await call(handler, version, {
      resources: [
        { resourceType: TOPIC, resourceName: 'events', configs: [{ name: 'cleanup.policy', value: 'compact' }] },
        { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', value: '1' }] },
        { resourceType: TOPIC, resourceName: 'other', configs: [{ name: 'no.such.config', value: '1' }] },
      ],
      validateOnly: false,
    });
    expect(res.responses).toEqual([
      { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 'events' },
      { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "The topic 'missing' does not exist.", resourceType: TOPIC, resourceName: 'missing' },
      { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown topic config name: no.such.config', resourceType: TOPIC, resourceName: 'other' },
    ]);
    // Not incremental: the configs not named are gone.
    expect(f.controller.topic('events')?.configs).toEqual({ 'cleanup.policy': 'compact' });
  });

  it('validateOnly checks without changing', async () => {
    const res = await call(handler, version, {
      resources: [{ resourceType: TOPIC, resourceName: 'events', configs: [{ name: 'retention.ms', value: '5' }] }],
      validateOnly: true,
    });
    expect(res.responses[0]?.errorCode).toBe(ErrorCode.NONE);
    expect(f.controller.topic('events')?.configs['retention.ms']).toBe('1000');
    expect(f.controller.calls[0]?.args[1]).toEqual({ validateOnly: true });
  });

  it('refuses broker changes, other brokers, unsupported types and duplicates without the controller', async () => {
    const res = await call(handler, version, {
      resources: [
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'num.partitions', value: '6' }, { name: 'log.retention.hours', value: '1' }] },
        { resourceType: BROKER, resourceName: '', configs: [] },
        { resourceType: BROKER, resourceName: '7', configs: [] },
        { resourceType: BROKER, resourceName: 'x', configs: [] },
        { resourceType: GROUP, resourceName: 'g', configs: [] },
        { resourceType: TOPIC, resourceName: 'other', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] },
        { resourceType: TOPIC, resourceName: 'events', configs: [] },
        { resourceType: TOPIC, resourceName: 'events', configs: [{ name: 'retention.ms', value: '2' }] },
      ],
      validateOnly: false,
    });
    expect(res.responses.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      [BROKER, '1', ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: num.partitions, log.retention.hours'],
      [BROKER, '', ErrorCode.NONE, null],
      [BROKER, '7', ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 7'],
      [BROKER, 'x', ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
      [GROUP, 'g', ErrorCode.INVALID_REQUEST, 'Unsupported resource type: GROUP'],
      [TOPIC, 'other', ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      [TOPIC, 'events', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      [TOPIC, 'events', ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
    ]);
    expect(f.controller.calls).toHaveLength(0);
    expect(f.controller.topic('events')?.configs['retention.ms']).toBe('1000');
  });
});
