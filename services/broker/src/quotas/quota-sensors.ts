// The sensors of one quota type (produce bytes, fetch bytes, request time): one sampled
// rate per sensor (the tags quota-precedence.ts resolves), created on a client's first
// request once a quota applies to it. Bounded: at most `maxSensors`, the least recently used
// dropped first, and a sensor idle for `idleExpiryMs` is dropped (Kafka: one hour) — a
// dropped sensor starts again from zero, as Kafka's expired sensors do. Each also counts its
// throttling, for the per-entity metrics.

import { SampledRate, recordAndThrottle } from './sampled-rate.ts';
import type { RateWindow } from './sampled-rate.ts';
import type { ResolvedQuota } from './quota-precedence.ts';

export interface QuotaSensorSettings extends RateWindow {
  /** Sensors kept per quota type at most (least recently used dropped first). */
  readonly maxSensors: number;
  /** A sensor without a request for this long is dropped. */
  readonly idleExpiryMs: number;
}

export interface QuotaSensor {
  readonly user: string;
  readonly clientId: string;
  readonly rate: SampledRate;
  /** The bound last applied (metrics). */
  bound: number;
  throttleMsTotal: number;
  throttledResponses: number;
}

/** How often idle sensors are looked for. */
const SWEEP_INTERVAL_MS = 60_000;

export class QuotaSensors {
  private readonly s: QuotaSensorSettings;
  private readonly sensors = new Map<string, QuotaSensor>();
  private lastSweepMs = 0;

  constructor(settings: QuotaSensorSettings) {
    this.s = settings;
  }

  get size(): number {
    return this.sensors.size;
  }

  /** Records `value` against the quota and answers the throttle time (0: within it). */
  record(q: ResolvedQuota, value: number, nowMs: number): number {
    const sensor = this.sensor(q, nowMs);
    return recordAndThrottle(sensor.rate, q.bound, value, nowMs);
  }

  /** Takes back a recorded value (a throttled fetch answers no data: Kafka's unrecordQuotaSensor). */
  unrecord(q: ResolvedQuota, value: number, nowMs: number): void {
    this.sensor(q, nowMs).rate.record(-value, nowMs);
  }

  /** Counts a throttled response of the sensor (Kafka's throttle-time sensor). */
  throttled(q: ResolvedQuota, throttleMs: number, nowMs: number): void {
    const sensor = this.sensor(q, nowMs);
    sensor.throttleMsTotal += throttleMs;
    sensor.throttledResponses++;
  }

  /** The most that can be recorded at once without certain throttling: bound × (samples − 1) windows (Kafka's maxValueInQuotaWindow). */
  maxValueInWindow(bound: number): number {
    return bound * (this.s.samples - 1) * (this.s.windowMs / 1000);
  }

  /** Every live sensor (metrics read them at scrape time). */
  all(): IterableIterator<QuotaSensor> {
    return this.sensors.values();
  }

  private sensor(q: ResolvedQuota, nowMs: number): QuotaSensor {
    if (nowMs - this.lastSweepMs >= SWEEP_INTERVAL_MS) this.sweep(nowMs);
    const key = `${q.user}\u0000${q.clientId}`;
    let sensor = this.sensors.get(key);
    if (sensor !== undefined) {
      // Most recently used last: the map's order is the eviction order.
      this.sensors.delete(key);
    } else {
      sensor = { user: q.user, clientId: q.clientId, rate: new SampledRate(this.s, nowMs), bound: q.bound, throttleMsTotal: 0, throttledResponses: 0 };
      if (this.sensors.size >= this.s.maxSensors) {
        const oldest = this.sensors.keys().next();
        if (oldest.done !== true) this.sensors.delete(oldest.value);
      }
    }
    sensor.bound = q.bound;
    this.sensors.set(key, sensor);
    return sensor;
  }

  private sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    for (const [key, sensor] of this.sensors) if (nowMs - sensor.rate.lastRecordMs >= this.s.idleExpiryMs) this.sensors.delete(key);
  }
}
