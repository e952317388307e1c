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

  it('rejects a request larger than the whole budget at once', async () => {
    const b = new ByteBudget(10, new ManualClock());
    await expect(b.reserve(11, 1000)).rejects.toThrow(/exceed the whole budget/);
  });
});
