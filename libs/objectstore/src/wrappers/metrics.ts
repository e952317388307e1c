// Plain in-library counters for object-store calls: requests by operation and outcome,
// bytes, and a latency histogram per operation and per operation and outcome (a failed
// call's latency says something else than a served one's: a timeout, a refusal). `snapshot()` returns plain numbers for
// benchmarks and test assertions; exporting them (Prometheus) is the caller's business.
// Not for measuring anything itself: withMetrics feeds it.

import type { ObjectStoreErrorCode } from '../object-store.ts';
import { OBJECT_STORE_OPERATIONS } from '../operations.ts';
import type { ObjectStoreOperation } from '../operations.ts';

/** `ok`, an error code, or `aborted` (the caller's signal) and `error` (not an ObjectStoreError). */
export type ObjectStoreOutcome = 'ok' | ObjectStoreErrorCode | 'aborted' | 'error';

/** Upper bounds (inclusive) of the latency buckets, in ms; a last bucket takes the rest. */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];

export interface LatencyHistogram {
  /** `counts[i]` calls took at most `LATENCY_BUCKETS_MS[i]` and more than the bound before; the last entry counts the rest. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumMs: number;
}

export interface ObjectStoreMetricsSnapshot {
  /** Calls by operation, then outcome; outcomes never seen are absent. */
  readonly requests: Readonly<Record<ObjectStoreOperation, Readonly<Partial<Record<ObjectStoreOutcome, number>>>>>;
  /** Body bytes of successful puts. */
  readonly bytesWritten: number;
  /** Bytes returned by successful gets. */
  readonly bytesRead: number;
  readonly latency: Readonly<Record<ObjectStoreOperation, LatencyHistogram>>;
  /** The same latencies by operation, then outcome; outcomes never seen are absent. */
  readonly latencyByOutcome: Readonly<Record<ObjectStoreOperation, Readonly<Partial<Record<ObjectStoreOutcome, LatencyHistogram>>>>>;
}

interface Buckets {
  readonly buckets: number[];
  count: number;
  sumMs: number;
}

interface OperationStats extends Buckets {
  readonly outcomes: Map<ObjectStoreOutcome, number>;
  readonly byOutcome: Map<ObjectStoreOutcome, Buckets>;
}

const emptyBuckets = (): Buckets => ({ buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0), count: 0, sumMs: 0 });
const histogramOf = (b: Buckets): LatencyHistogram => ({ counts: [...b.buckets], count: b.count, sumMs: b.sumMs });

export class ObjectStoreMetrics {
  private readonly stats = new Map<ObjectStoreOperation, OperationStats>(
    OBJECT_STORE_OPERATIONS.map((op) => [op, { outcomes: new Map(), byOutcome: new Map(), ...emptyBuckets() }]),
  );
  private bytesWritten = 0;
  private bytesRead = 0;

  record(operation: ObjectStoreOperation, outcome: ObjectStoreOutcome, latencyMs: number, bytes: { written?: number; read?: number } = {}): void {
    const s = this.stats.get(operation) as OperationStats;
    s.outcomes.set(outcome, (s.outcomes.get(outcome) ?? 0) + 1);
    let i = LATENCY_BUCKETS_MS.findIndex((bound) => latencyMs <= bound);
    if (i < 0) i = LATENCY_BUCKETS_MS.length;
    s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    s.count++;
    s.sumMs += latencyMs;
    let o = s.byOutcome.get(outcome);
    if (o === undefined) s.byOutcome.set(outcome, (o = emptyBuckets()));
    o.buckets[i] = (o.buckets[i] ?? 0) + 1;
    o.count++;
    o.sumMs += latencyMs;
    this.bytesWritten += bytes.written ?? 0;
    this.bytesRead += bytes.read ?? 0;
  }

  /** Calls of `operation` with `outcome` (all outcomes when omitted). */
  count(operation: ObjectStoreOperation, outcome?: ObjectStoreOutcome): number {
    const s = this.stats.get(operation) as OperationStats;
    if (outcome !== undefined) return s.outcomes.get(outcome) ?? 0;
    return s.count;
  }

  snapshot(): ObjectStoreMetricsSnapshot {
    const requests = {} as Record<ObjectStoreOperation, Partial<Record<ObjectStoreOutcome, number>>>;
    const latency = {} as Record<ObjectStoreOperation, LatencyHistogram>;
    const latencyByOutcome = {} as Record<ObjectStoreOperation, Partial<Record<ObjectStoreOutcome, LatencyHistogram>>>;
    for (const [op, s] of this.stats) {
      requests[op] = Object.fromEntries(s.outcomes);
      latency[op] = histogramOf(s);
      latencyByOutcome[op] = Object.fromEntries([...s.byOutcome].map(([outcome, b]) => [outcome, histogramOf(b)]));
    }
    return { requests, bytesWritten: this.bytesWritten, bytesRead: this.bytesRead, latency, latencyByOutcome };
  }
}
