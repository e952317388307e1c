import { describe, expect, it } from 'vitest';
import { Slots } from '../../src/cache/slots.ts';
import { Gate } from './support/counting-store.ts';

describe('Slots', () => {
  it('runs at most `limit` tasks at once, urgent ones first, promoted ones as urgent', async () => {
    const slots = new Slots(2);
    const gate = new Gate();
    const started: string[] = [];
    const task = (name: string) => async (): Promise<string> => {
      started.push(name);
      await gate.wait();
      return name;
    };
    const results = [
      slots.run(task('a'), false),
      slots.run(task('b'), false),
      slots.run(task('lazy1'), false),
      slots.run(task('lazy2'), false),
      slots.run(task('urgent'), true),
    ];
    results[3]!.promote();
    expect(started).toEqual(['a', 'b']);
    expect(slots.running).toBe(2);
    expect(slots.queued).toBe(3);
    gate.open();
    expect(await Promise.all(results.map((r) => r.result))).toEqual(['a', 'b', 'lazy1', 'lazy2', 'urgent']);
    // lazy2 was promoted before any slot freed, so it runs before lazy1, after the first urgent.
    expect(started).toEqual(['a', 'b', 'lazy2', 'urgent', 'lazy1']);
    expect(slots.running).toBe(0);
  });

  it('passes failures through and frees the slot', async () => {
    const slots = new Slots(1);
    const failed = slots.run(() => Promise.reject(new Error('boom')), true);
    const thrown = slots.run(() => {
      throw new Error('sync boom');
    }, true);
    const next = slots.run(async () => 'ok', true);
    await expect(failed.result).rejects.toThrow('boom');
    await expect(thrown.result).rejects.toThrow('sync boom');
    await expect(next.result).resolves.toBe('ok');
  });
});
