// Latency samples of a well-behaved client, grouped by phase of a test, with percentiles.

export class Latencies {
  private readonly byPhase = new Map<string, number[]>();

  add(phase: string, ms: number): void {
    let samples = this.byPhase.get(phase);
    if (samples === undefined) this.byPhase.set(phase, (samples = []));
    samples.push(ms);
  }

  count(phase: string): number {
    return this.byPhase.get(phase)?.length ?? 0;
  }

  /** The p-th percentile (0 < p ≤ 100) by the nearest-rank method; NaN without samples. */
  percentile(phase: string, p: number): number {
    const samples = [...(this.byPhase.get(phase) ?? [])].sort((a, b) => a - b);
    if (samples.length === 0) return Number.NaN;
    return samples[Math.max(0, Math.ceil((p / 100) * samples.length) - 1)]!;
  }

  max(phase: string): number {
    return Math.max(...(this.byPhase.get(phase) ?? [Number.NaN]));
  }

  summary(phase: string): string {
    const f = (ms: number): string => `${ms.toFixed(1)} ms`;
    return `${this.count(phase)} samples, p50 ${f(this.percentile(phase, 50))}, p99 ${f(this.percentile(phase, 99))}, max ${f(this.max(phase))}`;
  }
}
