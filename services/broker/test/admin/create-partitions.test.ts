import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { createPartitionsHandler } from '../../src/handlers/37-create-partitions.ts';
import { acceptedVersions, adminFixture, call } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const handlerShape = createPartitionsHandler(adminFixture().ctx);

describe('CreatePartitions handler', () => {
  it('accepts every schema version, 0–3', () => {
    expect(handlerShape.accept).toEqual([0, 3]);
  });
});

describe.each(acceptedVersions(handlerShape))('CreatePartitions v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof createPartitionsHandler>;
  beforeEach(() => {
    f = adminFixture();
    f.controller.addTopic('grow', 2);
    f.controller.addTopic('shrink', 4);
    f.controller.addTopic('twice', 1);
    handler = createPartitionsHandler(f.ctx);
  });

  it('grows topics and answers per topic with the controller verdicts', async () => {
    const res = await call(handler, version, {
      topics: [
        { name: 'grow', count: 5, assignments: null },
        { name: 'shrink', count: 3, assignments: [] },
        { name: 'missing', count: 2, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(res.results).toEqual([
      { name: 'grow', errorCode: ErrorCode.NONE, errorMessage: null },
      { name: 'shrink', errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: 'Topic currently has 4 partitions, which is higher than the requested 3.' },
      { name: 'missing', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "The topic 'missing' does not exist." },
    ]);
    expect(f.controller.topic('grow')?.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
  });

  it('validateOnly checks without growing', async () => {
    const res = await call(handler, version, { topics: [{ name: 'grow', count: 8, assignments: null }], timeoutMs: 1000, validateOnly: true });
    expect(res.results[0]?.errorCode).toBe(ErrorCode.NONE);
    expect(f.controller.topic('grow')?.partitions).toHaveLength(2);
  });

  it('refuses duplicates and manual assignments without asking the controller about them', async () => {
    const res = await call(handler, version, {
      topics: [
        { name: 'twice', count: 2, assignments: null },
        { name: 'grow', count: 3, assignments: [{ brokerIds: [1] }] },
        { name: 'twice', count: 3, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(res.results.map((r) => [r.name, r.errorCode])).toEqual([
      ['twice', ErrorCode.INVALID_REQUEST],
      ['grow', ErrorCode.INVALID_REQUEST],
    ]);
    expect(res.results[0]?.errorMessage).toBe('Duplicate topic name.');
    expect(res.results[1]?.errorMessage).toMatch(/Manual partition assignment is not supported/);
    expect(f.controller.calls).toHaveLength(0);
    expect(f.controller.topic('twice')?.partitions).toHaveLength(1);
  });
});
