// The broker fuzzer's seeded generator: @stratus/runtime's sfc32 (Sfc32), seeded per
// case. Every fuzz case gets its own generator derived from (seed, case index), so a case's bytes depend on nothing but
// those two numbers (and the fuzz context): any case can be regenerated on its own,
// whatever order the concurrent connections happened to send them in.

import { Sfc32 } from '@stratus/runtime';

/** splitmix32 step: a well-mixed 32-bit value from any 32-bit input. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export class Rng extends Sfc32 {
  constructor(seed: number, stream = 0) {
    const a = mix32(seed);
    const b = mix32(a ^ stream);
    const c = mix32(b ^ 0x5bd1e995);
    super(a, b, c, mix32(c ^ seed ^ 0x27d4eb2f));
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** The generator of case `index` under `seed`; a non-zero `salt` gives another, independent stream for the same case. */
  static forCase(seed: number, index: number, salt = 0): Rng {
    return new Rng(seed >>> 0, (mix32(index ^ 0x1b873593) ^ salt) >>> 0);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [min, max] (inclusive; both within ±2^53). */
  int(min: number, max: number): number {
    if (max <= min) return min;
    const span = max - min + 1;
    if (span <= 4294967296) return min + Math.floor(this.float() * span);
    return min + Math.floor((this.u32() * 4294967296 + this.u32()) % span);
  }

  bool(p = 0.5): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One of `entries`, chosen with probability proportional to its weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.float() * total;
    for (const [v, w] of entries) {
      x -= w;
      if (x < 0) return v;
    }
    return entries[entries.length - 1]![0];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff;
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /** Small sizes are far more likely than large ones (each doubling halves the odds). */
  size(max: number): number {
    const bits = this.int(0, Math.max(0, Math.ceil(Math.log2(max + 1))));
    return Math.min(max, this.int(0, 2 ** bits - 1));
  }
}
