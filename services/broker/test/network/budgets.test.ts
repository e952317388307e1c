// The shared in-flight byte budget: admission rule (a request larger than the whole
// budget runs alone), FIFO fairness between waiting connections, and cancellation.

import { describe, expect, it } from 'vitest';
import { fitsBudget, SharedByteBudget } from '../../src/network/budgets.ts';

describe('fitsBudget', () => {
  it('admits within the limit, or anything when nothing is in flight', () => {
    expect(fitsBudget(0, 10, 100)).toBe(true);
    expect(fitsBudget(90, 10, 100)).toBe(true);
    expect(fitsBudget(91, 10, 100)).toBe(false);
    expect(fitsBudget(0, 1_000, 100)).toBe(true);
    expect(fitsBudget(1, 1_000, 100)).toBe(false);
  });
});

describe('SharedByteBudget', () => {
  it('queues waiters in order and grants them as bytes come back', () => {
    const budget = new SharedByteBudget(100);
    const granted: string[] = [];
    expect(budget.tryAcquire(80)).toBe(true);
    expect(budget.tryAcquire(30)).toBe(false);
    budget.wait({ bytes: 30, grant: () => granted.push('a') });
    // Fits, but someone queued first: no overtaking.
    expect(budget.tryAcquire(10)).toBe(false);
    budget.wait({ bytes: 10, grant: () => granted.push('b') });
    budget.release(80);
    expect(granted).toEqual(['a', 'b']);
    expect(budget.usedBytes).toBe(40);
    expect(budget.waitingCount).toBe(0);
  });

  it('lets a request larger than the budget through once everything else is back', () => {
    const budget = new SharedByteBudget(100);
    const granted: number[] = [];
    expect(budget.tryAcquire(50)).toBe(true);
    expect(budget.tryAcquire(500)).toBe(false);
    budget.wait({ bytes: 500, grant: () => granted.push(500) });
    budget.release(50);
    expect(granted).toEqual([500]);
    expect(budget.usedBytes).toBe(500);
  });

  it('cancelling the head waiter lets the next one in', () => {
    const budget = new SharedByteBudget(100);
    const granted: number[] = [];
    budget.tryAcquire(60);
    const big = { bytes: 90, grant: () => granted.push(90) };
    budget.wait(big);
    budget.wait({ bytes: 20, grant: () => granted.push(20) });
    budget.cancel(big);
    expect(granted).toEqual([20]);
    expect(budget.usedBytes).toBe(80);
  });
});
