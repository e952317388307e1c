// Seeded randomness as an injected dependency: jitter, key prefixes and simulations use
// a Random so a run can be reproduced from its printed seed.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

/**
 * sfc32's state and step, for generators that seed it their own way (SeededRandom here,
 * the fuzzer's per-case generator): small, fast, good enough for jitter, simulations
 * and fuzzing (not for secrets).
 */
export class Sfc32 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
  }

  /** The next 32 bits, as an unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

/** sfc32 seeded from one number. */
export class SeededRandom implements Random {
  readonly seed: number;
  private readonly core: Sfc32;

  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.core = new Sfc32(0x9e3779b9, 0x243f6a88, 0xb7e15162, this.seed);
    for (let i = 0; i < 15; i++) this.core.u32();
  }

  next(): number {
    return this.core.u32() / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
}

export const systemRandom: Random = {
  next: () => Math.random(),
  int: (maxExclusive) => Math.floor(Math.random() * maxExclusive),
};
