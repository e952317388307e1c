// Topic and cluster ids from the injected Random: 16 bytes as URL-safe base64, never the
// zero id or Kafka's reserved metadata id, never one already taken.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import type { Random } from '@stratus/runtime';
import { ZERO_UUID, isUuid, randomUuid } from '../src/topics/ids.ts';

/** Returns the given bytes in order, then repeats the last one. */
function scripted(bytes: number[]): Random {
  let i = 0;
  return { next: () => 0, int: () => bytes[Math.min(i++, bytes.length - 1)]! };
}

describe('randomUuid', () => {
  it('is 22 URL-safe base64 characters of 16 random bytes', () => {
    const id = randomUuid(new SeededRandom(1));
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    expect(isUuid(id)).toBe(true);
    expect(isUuid('short')).toBe(false);
  });

  it('skips the zero id, the reserved metadata id and taken ids', () => {
    const zero = Array<number>(16).fill(0);
    const metadata = [...Array<number>(15).fill(0), 1];
    const taken = Array<number>(16).fill(7);
    const fresh = Array<number>(16).fill(9);
    const id = randomUuid(scripted([...zero, ...metadata, ...taken, ...fresh]), (x) => x === Buffer.from(taken).toString('base64url'));
    expect(id).toBe(Buffer.from(fresh).toString('base64url'));
    expect(ZERO_UUID).toBe('AAAAAAAAAAAAAAAAAAAAAA');
  });

  it('gives up with a clear error on a constant Random', () => {
    expect(() => randomUuid(scripted([0]))).toThrow(/constant/);
  });
});
