import { describe, expect, it } from 'vitest';
import { buildRecordBatch } from '@stratus/protocol';
import { buildStreamSet } from '../src/writer.ts';
import { parseFooter, parseIndex, StreamSetFormatError } from '../src/reader.ts';
import { FOOTER_BYTES } from '../src/format.ts';
import type { StreamSetBatch } from '../src/writer.ts';

const TOPIC_A = Buffer.alloc(16, 1).toString('base64url');
const TOPIC_B = Buffer.alloc(16, 2).toString('base64url');

/** `count` records from offset `base`, in one real record batch. */
function sb(topicId: string, partition: number, base: number, count: number, leaderEpoch = 0): StreamSetBatch {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${base + i}`, value: Buffer.alloc(16, base % 251) }));
  return { topicId, partition, leaderEpoch, baseOffset: base, lastOffset: base + count - 1, maxTimestamp: 1_700_000_000_000 + base, bytes: buildRecordBatch({ baseOffset: base, baseTimestamp: 1_700_000_000_000, records }) };
}

function parse(key: string, built: ReturnType<typeof buildStreamSet>) {
  const obj = Buffer.concat(built.body);
  expect(obj.length).toBe(built.size);
  const footer = parseFooter(key, obj.length, obj.subarray(obj.length - FOOTER_BYTES));
  return { obj, extents: parseIndex(key, obj.length, footer, obj.subarray(footer.indexPosition, footer.indexPosition + footer.indexLength)) };
}

describe('stream-set objects', () => {
  it('groups many partitions into one object whose index locates every extent', () => {
    const input = [sb(TOPIC_B, 0, 0, 3), sb(TOPIC_A, 1, 10, 2), sb(TOPIC_B, 0, 3, 4), sb(TOPIC_A, 0, 0, 1), sb(TOPIC_A, 1, 12, 5)];
    const built = buildStreamSet(input);
    const { obj, extents } = parse('k', built);
    expect(extents).toEqual(built.extents.map((e) => ({ ...e, objectKey: 'k', objectSize: obj.length })));
    expect(extents.map((e) => [e.topicId === TOPIC_A ? 'A' : 'B', e.partition, e.baseOffset, e.lastOffset])).toEqual([
      ['A', 0, 0, 0],
      ['A', 1, 10, 16],
      ['B', 0, 0, 6],
    ]);
    // Each extent's bytes are exactly that partition's batches, in order.
    for (const e of extents) {
      const expected = Buffer.concat(input.filter((b) => b.topicId === e.topicId && b.partition === e.partition).map((b) => b.bytes));
      expect(obj.subarray(e.position, e.position + e.length).equals(expected)).toBe(true);
    }
  });

  it('starts a new extent on an offset gap or a leader-epoch change', () => {
    const built = buildStreamSet([sb(TOPIC_A, 0, 0, 2), sb(TOPIC_A, 0, 5, 1), sb(TOPIC_A, 0, 6, 1, 1)]);
    expect(built.extents.map((e) => [e.baseOffset, e.lastOffset, e.leaderEpoch])).toEqual([
      [0, 1, 0],
      [5, 5, 0],
      [6, 6, 1],
    ]);
  });

  it('detects a damaged index or footer', () => {
    const built = buildStreamSet([sb(TOPIC_A, 0, 0, 2)]);
    const obj = Buffer.concat(built.body);
    const footer = parseFooter('k', obj.length, obj.subarray(obj.length - FOOTER_BYTES));
    const index = Buffer.from(obj.subarray(footer.indexPosition, footer.indexPosition + footer.indexLength));
    index[10]! ^= 0xff;
    expect(() => parseIndex('k', obj.length, footer, index)).toThrow(StreamSetFormatError);
    const badFooter = Buffer.from(obj.subarray(obj.length - FOOTER_BYTES));
    badFooter[23]! ^= 1;
    expect(() => parseFooter('k', obj.length, badFooter)).toThrow(/magic/);
    expect(() => parseFooter('k', obj.length + 1, obj.subarray(obj.length - FOOTER_BYTES))).toThrow(/does not fit/);
  });
});
