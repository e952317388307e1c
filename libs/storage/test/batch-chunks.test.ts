// BatchChunkCursor: batches walked across arbitrary chunk boundaries come out exactly as
// from the joined bytes; views when a batch lies in one chunk, copies only when it straddles.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchChunkCursor } from '../src/log/batch-chunks.ts';
import { batchAt } from './support/batches.ts';

function walk(chunks: readonly Buffer[]) {
  const cursor = new BatchChunkCursor(chunks);
  const out: { base: number; last: number; batch: Buffer }[] = [];
  for (let b = cursor.peek(); b !== undefined; b = cursor.peek()) out.push({ base: b.baseOffset, last: b.lastOffset, batch: cursor.take(b.size) });
  return out;
}

/** Splits `bytes` at the given cut points (sorted, deduplicated, in range). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(at, p));
    at = p;
  }
  chunks.push(bytes.subarray(at));
  return chunks;
}

describe('BatchChunkCursor', () => {
  it('yields the same batches whatever the chunk boundaries, including empty chunks and headers cut in two', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ records: fc.integer({ min: 1, max: 5 }), value: fc.integer({ min: 0, max: 300 }) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (specs, cuts) => {
          let offset = 0;
          const batches = specs.map((s) => {
            const b = batchAt(offset, s.records, s.value);
            offset += s.records;
            return b;
          });
          const joined = Buffer.concat(batches);
          const got = walk(split(joined, cuts));
          expect(got.map((g) => g.batch.equals(batches[got.indexOf(g)]!))).toEqual(batches.map(() => true));
          expect(got.map((g) => [g.base, g.last])).toEqual(
            specs.reduce<[number, number][]>((acc, s) => {
              const base = acc.length === 0 ? 0 : acc[acc.length - 1]![1] + 1;
              return [...acc, [base, base + s.records - 1]];
            }, []),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns views into a chunk that holds the whole batch, and a copy of a straddling one', () => {
    const a = batchAt(0, 2, 100);
    const b = batchAt(2, 2, 100);
    const chunk1 = Buffer.allocUnsafeSlow(a.length + 30); // its own allocation, not the shared pool
    Buffer.concat([a, b.subarray(0, 30)]).copy(chunk1);
    const chunk2 = b.subarray(30);
    const got = walk([chunk1, chunk2]);
    expect(got[0]!.batch.buffer).toBe(chunk1.buffer);
    expect(got[1]!.batch.buffer).not.toBe(chunk1.buffer);
    expect(got[1]!.batch.equals(b)).toBe(true);
  });

  it('stops at a batch cut off by the end of the range, and skip() passes batches over', () => {
    const a = batchAt(0, 1, 50);
    const b = batchAt(1, 1, 50);
    expect(walk([Buffer.concat([a, b.subarray(0, b.length - 1)])]).map((x) => x.base)).toEqual([0]);
    const cursor = new BatchChunkCursor([a.subarray(0, 40), a.subarray(40), b]);
    cursor.skip(cursor.peek()!.size);
    expect(cursor.peek()?.baseOffset).toBe(1);
  });
});
