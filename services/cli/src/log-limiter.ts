// Repeated warnings, rate-limited: the same message (by a key, usually its text or its
// context) is logged at most once per interval; the ones held back are counted and the
// next line that gets through says how many there were. An object store that is down
// makes the uploader and every cache miss fail again and again: the log gets one line per
// interval per kind of failure, not one per attempt.

import type { Logger } from './logger.ts';

/** The same warning at most once per this long. */
export const REPEAT_WARNING_INTERVAL_MS = 10_000;
/** Distinct keys remembered; beyond, the least recently logged is forgotten (its next line gets through). */
const MAX_KEYS = 1_000;

export class RepeatLimiter {
  private readonly intervalMs: number;
  private readonly now: () => number;
  /** Per key: when it was last let through, and how many were held back since. Insertion order = least recently let through first. */
  private readonly seen = new Map<string, { atMs: number; suppressed: number }>();

  constructor(intervalMs: number = REPEAT_WARNING_INTERVAL_MS, now: () => number = () => performance.now()) {
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Whether a line with this key goes out now: the count held back since the last one that did (0 or more), or undefined to hold this one back. */
  admit(key: string): number | undefined {
    const now = this.now();
    const entry = this.seen.get(key);
    if (entry !== undefined && now - entry.atMs < this.intervalMs) {
      entry.suppressed++;
      return undefined;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.seen.delete(key);
    this.seen.set(key, { atMs: now, suppressed: 0 });
    if (this.seen.size > MAX_KEYS) this.seen.delete(this.seen.keys().next().value!);
    return suppressed;
  }
}

/**
 * log.warn, rate-limited by `key` (default: the message): `suppressed` on a line says how
 * many like it were held back since the previous one.
 */
export function rateLimitedWarn(log: Logger, limiter: RepeatLimiter = new RepeatLimiter()): (fields: Record<string, unknown>, message: string, key?: string) => void {
  return rateLimitedLine(log, 'warn', limiter);
}

/** The same at another level: info for what is expected but worth a line (an authorization denial). */
export function rateLimitedLine(log: Logger, level: 'info' | 'warn', limiter: RepeatLimiter = new RepeatLimiter()): (fields: Record<string, unknown>, message: string, key?: string) => void {
  return (fields, message, key = message) => {
    const suppressed = limiter.admit(key);
    if (suppressed === undefined) return;
    if (suppressed === 0) log[level](fields, message);
    else log[level]({ ...fields, suppressed }, `${message} (${suppressed} more like it were not logged)`);
  };
}
