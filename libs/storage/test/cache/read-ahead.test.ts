import { describe, expect, it } from 'vitest';
import { ReadAheadTracker } from '../../src/cache/read-ahead.ts';

describe('ReadAheadTracker', () => {
  it('detects a sequential stream and refills whole windows', () => {
    const t = new ReadAheadTracker(10, 4);
    expect(t.onRead('s', 'k', 0, 0, 100)).toBeUndefined(); // first read: nothing known
    const w1 = t.onRead('s', 'k', 0, 0, 100); // same block again: sequential
    expect(w1).toEqual({ from: 1, to: 5 });
    t.requested('s', 5);
    expect(t.onRead('s', 'k', 0, 0, 100)).toBeUndefined(); // 4 blocks ahead: enough
    const w2 = t.onRead('s', 'k', 1, 1, 100); // 3 ahead: refill a whole window
    expect(w2).toEqual({ from: 5, to: 9 });
    t.requested('s', 9);
    for (const block of [2, 3, 4]) expect(t.onRead('s', 'k', block, block, 100)).toBeUndefined();
    expect(t.onRead('s', 'k', 5, 5, 100)).toEqual({ from: 9, to: 13 });
  });

  it('does not prefetch past the last block', () => {
    const t = new ReadAheadTracker(10, 4);
    t.onRead('s', 'k', 5, 5, 8);
    expect(t.onRead('s', 'k', 6, 6, 8)).toEqual({ from: 7, to: 8 });
    t.requested('s', 8);
    expect(t.onRead('s', 'k', 7, 7, 8)).toBeUndefined();
  });

  it('resets on a jump, another object, or a dropped window', () => {
    const t = new ReadAheadTracker(10, 4);
    t.onRead('s', 'k', 0, 0, 100);
    expect(t.onRead('s', 'k', 2, 2, 100)).toBeUndefined(); // skipped block 1
    expect(t.onRead('s', 'other', 3, 3, 100)).toBeUndefined();
    expect(t.onRead('s', 'other', 3, 4, 100)).toEqual({ from: 5, to: 9 });
    // Not marked requested (dropped by the cache): the next read asks again.
    expect(t.onRead('s', 'other', 5, 5, 100)).toEqual({ from: 6, to: 10 });
  });

  it('forgets the least recently seen stream beyond its bound', () => {
    const t = new ReadAheadTracker(2, 4);
    t.onRead('a', 'k', 0, 0, 100);
    t.onRead('b', 'k', 0, 0, 100);
    t.onRead('a', 'k', 0, 0, 100); // a is now the most recent
    t.onRead('c', 'k', 0, 0, 100); // forgets b
    expect(t.size).toBe(2);
    expect(t.onRead('a', 'k', 1, 1, 100)).toBeDefined();
    expect(t.onRead('b', 'k', 1, 1, 100)).toBeUndefined(); // b starts over
  });

  it('never prefetches with a zero window', () => {
    const t = new ReadAheadTracker(2, 0);
    t.onRead('a', 'k', 0, 0, 100);
    expect(t.onRead('a', 'k', 1, 1, 100)).toBeUndefined();
  });
});
