import { describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import { BudgetExceededError, ByteBudget } from '../src/log/byte-budget.ts';

describe('ByteBudget', () => {
  it('grants immediately while there is room and makes later callers wait in order', async () => {
    const clock = new ManualClock();
    const b = new ByteBudget(100, clock);
    await b.reserve(60, 1000);
    const order: string[] = [];
    const big = b.reserve(50, 1000).then(() => order.push('big'));
    const small = b.reserve(10, 1000).then(() => order.push('small'));
    await Promise.resolve();
    expect(order).toEqual([]); // the small one must not overtake the big one
    b.release(60);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(b.usedBytes).toBe(60);
  });

  it('fails a waiter after its wait time and lets the next one through', async () => {
    const clock = new ManualClock();
    const b = new ByteBudget(100, clock);
    await b.reserve(95, 0);
    const blocked = b.reserve(50, 100).then(() => 'granted', (e: unknown) => e);
    const fits = b.reserve(5, 1000);
    await clock.advance(100);
    expect(await blocked).toBeInstanceOf(BudgetExceededError);
    await fits;
    expect(b.usedBytes).toBe(100);
  });

  it('never lets a later reservation of a group overtake an earlier one that timed out', async () => {
    const clock = new ManualClock();
    const b = new ByteBudget(100, clock);
    await b.reserve(95, 0);
    // Partition p: a large append, then a small one behind it; another partition's small one.
    const first = b.reserve(60, 100, 'p').then(() => 'granted', (e: unknown) => e);
    const second = b.reserve(3, 1000, 'p').then(() => 'granted', (e: unknown) => e);
    const other = b.reserve(3, 1000, 'q').then(() => 'granted', (e: unknown) => e);
    await clock.advance(150);
    // The first timed out; room for 3 bytes exists, yet p's second append fails with it.
    expect(await first).toBeInstanceOf(BudgetExceededError);
    expect(await second).toBeInstanceOf(BudgetExceededError);
    expect(await other).toBe('granted');
    expect(b.usedBytes).toBe(98);
    // A new append of p after that is judged on its own.
    await expect(b.reserve(2, 10, 'p')).resolves.toBeUndefined();
  });

  it('rejects a request larger than the whole budget at once', async () => {
    const b = new ByteBudget(10, new ManualClock());
    await expect(b.reserve(11, 1000)).rejects.toThrow(/exceed the whole budget/);
  });
});
