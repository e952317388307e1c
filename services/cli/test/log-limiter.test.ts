// Repeated warnings are rate-limited (log-limiter.ts): the same key at most once per
// interval, the held-back count on the next line that goes out; keys are independent.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RepeatLimiter, rateLimitedWarn } from '../src/log-limiter.ts';

function manualClock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('RepeatLimiter', () => {
  it('lets a key through once per interval and counts what it held back', () => {
    const clock = manualClock();
    const limiter = new RepeatLimiter(10_000, clock.now);
    expect(limiter.admit('a')).toBe(0);
    expect(limiter.admit('a')).toBeUndefined();
    clock.advance(9_999);
    expect(limiter.admit('a')).toBeUndefined();
    expect(limiter.admit('b')).toBe(0); // another key: its own interval
    clock.advance(1);
    expect(limiter.admit('a')).toBe(2);
    expect(limiter.admit('a')).toBeUndefined();
    clock.advance(10_000);
    expect(limiter.admit('a')).toBe(1);
    clock.advance(10_000);
    expect(limiter.admit('a')).toBe(0);
  });

  it('remembers a bounded number of keys: a forgotten one gets through again', () => {
    const clock = manualClock();
    const limiter = new RepeatLimiter(10_000, clock.now);
    expect(limiter.admit('first')).toBe(0);
    for (let i = 0; i < 1_000; i++) limiter.admit(`key-${i}`);
    expect(limiter.admit('first')).toBe(0);
    expect(limiter.admit('key-999')).toBeUndefined();
  });
});

describe('rateLimitedWarn', () => {
  it('writes one pino line per interval per message, with the count of the rest', () => {
    const lines: { msg: string; level: number; suppressed?: number; context?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    const clock = manualClock();
    const warn = rateLimitedWarn(log, new RepeatLimiter(5_000, clock.now));
    for (let i = 0; i < 100; i++) warn({ context: 'put' }, 'storage: put');
    warn({ context: 'commit' }, 'storage: commit');
    clock.advance(5_000);
    warn({ context: 'put' }, 'storage: put');
    expect(lines.map((l) => [l.msg, l.level, l.suppressed, l.context])).toEqual([
      ['storage: put', 40, undefined, 'put'],
      ['storage: commit', 40, undefined, 'commit'],
      ['storage: put (99 more like it were not logged)', 40, 99, 'put'],
    ]);
  });
});
