// A rate over a sampled window, computed as Kafka's Rate over a SampledStat (WindowedSum):
// `samples` samples of `windowMs` each; a sample is complete once `windowMs` has passed since
// it started, and the next record starts a new one in the oldest slot (samples + 1 slots are
// kept); a sample with no event for samples × windowMs is obsolete and reset. The rate is
// the sum of the samples over the time since the oldest one started, stretched to at least
// samples − 1 full windows — so a client's first burst is measured against ~10 s, not
// against the milliseconds it took, and a client idle for a while starts again from zero.
//
// The quota check is Kafka's too: after recording, a measured rate above the bound is a
// violation, and the throttle time is how long the client must stay silent for the rate
// over the window to come back to the bound: (rate − bound) / bound × window
// (QuotaUtils.throttleTime; KIP-219).

interface Sample {
  value: number;
  eventCount: number;
  startMs: number;
  lastEventMs: number;
}

export interface RateWindow {
  /** quota.window.num (Kafka: 11). */
  readonly samples: number;
  /** quota.window.size.seconds in ms (Kafka: 1000). */
  readonly windowMs: number;
}

export class SampledRate {
  private readonly w: RateWindow;
  private readonly slots: Sample[] = [];
  private current = 0;
  /** The last time anything was recorded: idle sensors expire from it. */
  lastRecordMs: number;

  constructor(window: RateWindow, nowMs: number) {
    this.w = window;
    this.lastRecordMs = nowMs;
  }

  record(value: number, nowMs: number): void {
    let sample = this.currentSample(nowMs);
    if (nowMs - sample.startMs >= this.w.windowMs) sample = this.advance(nowMs);
    sample.value += value;
    sample.eventCount++;
    sample.lastEventMs = nowMs;
    this.lastRecordMs = nowMs;
  }

  /** The rate per second now. */
  measure(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let sum = 0;
    for (const s of this.slots) sum += s.value;
    return sum / (this.windowSizeMs(nowMs) / 1000);
  }

  /** The time the rate is measured over now, in ms (Kafka's Rate.windowSize). */
  windowSizeMs(nowMs: number): number {
    this.purgeObsolete(nowMs);
    let elapsed = nowMs - this.oldest(nowMs).startMs;
    const fullWindows = Math.floor(elapsed / this.w.windowMs);
    const minFullWindows = this.w.samples - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.w.windowMs;
    return Math.max(elapsed, 1);
  }

  private currentSample(nowMs: number): Sample {
    if (this.slots.length === 0) this.slots.push(newSample(nowMs));
    return this.slots[this.current]!;
  }

  private advance(nowMs: number): Sample {
    this.current = (this.current + 1) % (this.w.samples + 1);
    if (this.current >= this.slots.length) {
      const s = newSample(nowMs);
      this.slots.push(s);
      return s;
    }
    const s = this.slots[this.current]!;
    reset(s, nowMs);
    return s;
  }

  private oldest(nowMs: number): Sample {
    if (this.slots.length === 0) this.slots.push(newSample(nowMs));
    let oldest = this.slots[0]!;
    for (const s of this.slots) if (s.startMs < oldest.startMs) oldest = s;
    return oldest;
  }

  private purgeObsolete(nowMs: number): void {
    const expireAge = this.w.samples * this.w.windowMs;
    for (const s of this.slots) if (nowMs - s.lastEventMs >= expireAge) reset(s, nowMs);
  }
}

function newSample(nowMs: number): Sample {
  return { value: 0, eventCount: 0, startMs: nowMs, lastEventMs: nowMs };
}

function reset(s: Sample, nowMs: number): void {
  s.value = 0;
  s.eventCount = 0;
  s.startMs = nowMs;
  s.lastEventMs = nowMs;
}

/**
 * Records `value` and answers the throttle time in ms: 0 within the bound, else Kafka's
 * (rate − bound) / bound × window, rounded.
 */
export function recordAndThrottle(rate: SampledRate, bound: number, value: number, nowMs: number): number {
  rate.record(value, nowMs);
  const measured = rate.measure(nowMs);
  if (measured <= bound) return 0;
  return Math.round(((measured - bound) / bound) * rate.windowSizeMs(nowMs));
}
