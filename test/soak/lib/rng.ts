// A small seeded random source (mulberry32) for the soak's schedule: which group churns,
// jitter of the loops, message sizes. The same seed gives the same choices; the timing of
// a real process still varies, so a run is repeatable in kind, not to the millisecond.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `ms` with ±`fraction` of jitter. */
  jitter(ms: number, fraction = 0.25): number {
    return Math.max(0, Math.round(ms * (1 - fraction + 2 * fraction * this.next())));
  }
}
