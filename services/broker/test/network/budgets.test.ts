// The shared byte budgets: the admission rule (a request larger than the budget runs
// alone), FIFO order without a small reserve, and with one: small requests admitted while
// large ones hold or wait, large ones not starved by a stream of small ones, cancellation
// and forced charges.

import { describe, expect, it } from 'vitest';
import { fitsBudget, FairByteBudget } from '../../src/network/budgets.ts';

describe('fitsBudget', () => {
  it('admits within the limit, or anything when nothing is in flight', () => {
    expect(fitsBudget(0, 10, 100)).toBe(true);
    expect(fitsBudget(90, 10, 100)).toBe(true);
    expect(fitsBudget(91, 10, 100)).toBe(false);
    expect(fitsBudget(0, 1_000, 100)).toBe(true);
    expect(fitsBudget(1, 1_000, 100)).toBe(false);
  });
});

/** Records grants by label. */
function waiter(granted: string[], label: string, bytes: number) {
  return { bytes, grant: () => granted.push(label) };
}

describe('FairByteBudget without a small reserve (FIFO)', () => {
  it('queues waiters in order and grants them as bytes come back', () => {
    const budget = new FairByteBudget(100);
    const granted: string[] = [];
    expect(budget.tryAcquire(80)).toBe(true);
    expect(budget.tryAcquire(30)).toBe(false);
    budget.wait(waiter(granted, 'a', 30));
    // Fits, but someone queued first: no overtaking.
    expect(budget.tryAcquire(10)).toBe(false);
    budget.wait(waiter(granted, 'b', 10));
    budget.release(80);
    expect(granted).toEqual(['a', 'b']);
    expect(budget.usedBytes).toBe(40);
    expect(budget.waitingCount).toBe(0);
  });

  it('lets a request larger than the budget through once everything else is back', () => {
    const budget = new FairByteBudget(100);
    const granted: string[] = [];
    expect(budget.tryAcquire(50)).toBe(true);
    expect(budget.tryAcquire(500)).toBe(false);
    budget.wait(waiter(granted, 'big', 500));
    budget.release(50);
    expect(granted).toEqual(['big']);
    expect(budget.usedBytes).toBe(500);
  });

  it('cancelling the head waiter lets the next one in', () => {
    const budget = new FairByteBudget(100);
    const granted: string[] = [];
    budget.tryAcquire(60);
    const big = waiter(granted, 'big', 90);
    budget.wait(big);
    budget.wait(waiter(granted, 'next', 20));
    budget.cancel(big);
    expect(granted).toEqual(['next']);
    expect(budget.usedBytes).toBe(80);
  });

  it('charge takes bytes without asking; later admissions wait for them', () => {
    const budget = new FairByteBudget(100);
    budget.charge(150);
    expect(budget.usedBytes).toBe(150);
    expect(budget.tryAcquire(1)).toBe(false);
    budget.release(150);
    expect(budget.tryAcquire(100)).toBe(true);
  });
});

describe('FairByteBudget with a small reserve', () => {
  // 100 bytes; requests up to 5 are small; the last 20 are theirs alone.
  const fair = (): FairByteBudget => new FairByteBudget(100, { smallMaxBytes: 5, smallReserveBytes: 20 });

  it('admits small requests while large ones hold all they may and more wait', () => {
    const budget = fair();
    const granted: string[] = [];
    expect(budget.tryAcquire(50)).toBe(true);
    expect(budget.tryAcquire(30)).toBe(true);
    // Large requests hold limit − reserve: the next one waits ...
    expect(budget.tryAcquire(30)).toBe(false);
    budget.wait(waiter(granted, 'large', 30));
    // ... and small ones still get in, up to the reserve.
    for (let i = 0; i < 4; i++) expect(budget.tryAcquire(5), `small ${i}`).toBe(true);
    expect(budget.smallUsedBytes).toBe(20);
    expect(budget.tryAcquire(5)).toBe(false);
    budget.wait(waiter(granted, 'small', 5));
    budget.release(5);
    expect(granted).toEqual(['small']);
    budget.release(50);
    expect(granted).toEqual(['small', 'large']);
    expect(budget.usedBytes).toBe(30 + 30 + 20);
  });

  it('a waiting large request is not starved by a stream of small ones', () => {
    const budget = fair();
    const granted: string[] = [];
    // With nothing large waiting, small requests may use the whole budget.
    for (let i = 0; i < 18; i++) expect(budget.tryAcquire(5)).toBe(true);
    expect(budget.usedBytes).toBe(90);
    expect(budget.tryAcquire(40)).toBe(false);
    budget.wait(waiter(granted, 'large', 40));
    // Now they are held to the reserve, which they already exceed: new ones wait ...
    expect(budget.tryAcquire(5)).toBe(false);
    budget.wait(waiter(granted, 'small', 5));
    // ... so the budget drains until the large one fits: 60 used + 40 ≤ 100.
    for (let i = 0; i < 5; i++) budget.release(5);
    expect(granted).toEqual([]);
    budget.release(5);
    expect(granted).toEqual(['large']);
    expect(budget.usedBytes).toBe(100);
    // Nothing large waits any more: small ones may use the whole budget again.
    budget.release(5);
    expect(granted).toEqual(['large', 'small']);
  });

  it('runs a large request bigger than the large share alone, the reserve still open beside it', () => {
    const budget = fair();
    const granted: string[] = [];
    expect(budget.tryAcquire(5)).toBe(true);
    // 90 > 100 − 20, but no other large request is in flight.
    expect(budget.tryAcquire(90)).toBe(true);
    expect(budget.tryAcquire(10)).toBe(false);
    budget.wait(waiter(granted, 'large', 10));
    expect(budget.tryAcquire(5)).toBe(true);
    budget.release(90);
    expect(granted).toEqual(['large']);
  });

  it('cancelling a waiting large request lets small ones use the whole budget again', () => {
    const budget = fair();
    const granted: string[] = [];
    for (let i = 0; i < 4; i++) budget.tryAcquire(5);
    budget.tryAcquire(80);
    const large = waiter(granted, 'large', 50);
    budget.wait(large);
    expect(budget.tryAcquire(1)).toBe(false);
    budget.wait(waiter(granted, 'small', 1));
    budget.release(80);
    // 20 small used, the large one (50) fits its share: granted; the small one fits too.
    expect(granted).toEqual(['large', 'small']);

    const other = fair();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) other.tryAcquire(5);
    other.tryAcquire(70);
    const blocked = waiter(seen, 'large', 70);
    other.wait(blocked);
    other.wait(waiter(seen, 'small', 5));
    other.cancel(blocked);
    expect(seen).toEqual(['small']);
    expect(other.usedBytes).toBe(95);
  });

  it('clamps the small size to the reserve, so a small request always fits in it', () => {
    const budget = new FairByteBudget(100, { smallMaxBytes: 1_000, smallReserveBytes: 10 });
    expect(budget.smallMaxBytes).toBe(10);
    expect(budget.isSmall(10)).toBe(true);
    expect(budget.isSmall(11)).toBe(false);
  });
});
