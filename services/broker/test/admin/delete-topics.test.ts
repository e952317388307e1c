import { beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { deleteTopicsHandler } from '../../src/handlers/20-delete-topics.ts';
import { acceptedVersions, adminFixture, call, ZERO_UUID } from './support/wire.ts';
import type { AdminFixture } from './support/wire.ts';

const handlerShape = deleteTopicsHandler(adminFixture().ctx);

/** A deletion by names, in the shape the version carries. */
function byNames(version: number, names: string[]) {
  return version >= 6 ? { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), timeoutMs: 1000 } : { topicNames: names, timeoutMs: 1000 };
}

describe('DeleteTopics handler', () => {
  it('accepts every schema version, 0–6 (KAFKA-COMPAT asks for 1–6)', () => {
    expect(handlerShape.accept).toEqual([0, 6]);
  });
});

describe.each(acceptedVersions(handlerShape))('DeleteTopics v%i', (version) => {
  let f: AdminFixture;
  let handler: ReturnType<typeof deleteTopicsHandler>;
  let ids: Record<string, string>;
  beforeEach(() => {
    f = adminFixture();
    ids = {};
    for (const name of ['a', 'b', 'c']) ids[name] = f.controller.addTopic(name, 2).topicId;
    handler = deleteTopicsHandler(f.ctx);
  });

  it('deletes by name and answers per topic', async () => {
    const res = await call(handler, version, byNames(version, ['a', 'missing']));
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['a', ErrorCode.NONE],
      ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(f.controller.topic('a')).toBeUndefined();
    expect(f.controller.topic('b')).toBeDefined();
    expect(res.responses[0]?.topicId).toBe(version >= 6 ? ids.a : ZERO_UUID);
    if (version >= 5) {
      expect(res.responses[0]?.errorMessage).toBeNull();
      expect(res.responses[1]?.errorMessage).toBe('This server does not host this topic-partition.');
    }
  });

  it('answers a name given twice once with INVALID_REQUEST and keeps that topic', async () => {
    const res = await call(handler, version, byNames(version, ['b', 'c', 'b']));
    expect(res.responses.map((r) => [r.name, r.errorCode])).toEqual([
      ['b', ErrorCode.INVALID_REQUEST],
      ['c', ErrorCode.NONE],
    ]);
    if (version >= 5) expect(res.responses[0]?.errorMessage).toBe('Duplicate topic name.');
    expect(f.controller.topic('b')).toBeDefined();
    expect(f.controller.topic('c')).toBeUndefined();
  });

  if (version >= 6) {
    it('deletes by topic id and screens entries as Kafka does', async () => {
      const unknownId = 'QkJCQkJCQkJCQkJCQkJCQg';
      const res = await call(handler, version, {
        topics: [
          { name: null, topicId: ids.a },
          { name: null, topicId: unknownId },
          { name: null, topicId: ZERO_UUID },
          { name: 'b', topicId: ids.b },
          { name: 'c', topicId: ZERO_UUID },
          { name: null, topicId: ids.c },
        ],
        timeoutMs: 1000,
      });
      expect(res.responses).toEqual([
        { name: 'a', topicId: ids.a, errorCode: ErrorCode.NONE, errorMessage: null },
        { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
        { name: null, topicId: ZERO_UUID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Neither topic name nor id were specified.' },
        { name: 'b', topicId: ids.b, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'You may not specify both topic name and topic id.' },
        { name: 'c', topicId: ids.c, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The provided topic name maps to an ID that was already supplied.' },
        { name: 'c', topicId: ids.c, errorCode: ErrorCode.NONE, errorMessage: null },
      ]);
      expect(f.controller.metadata().topics.map((t) => t.name)).toEqual(['b']);
    });

    it('answers an id given twice once with INVALID_REQUEST', async () => {
      const res = await call(handler, version, { topics: [{ name: null, topicId: ids.a }, { name: null, topicId: ids.a }], timeoutMs: 1000 });
      expect(res.responses).toEqual([{ name: null, topicId: ids.a, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic id.' }]);
      expect(f.controller.topic('a')).toBeDefined();
      expect(f.controller.calls).toHaveLength(0);
    });
  }
});
