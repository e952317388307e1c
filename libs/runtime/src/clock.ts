// Time as an injected dependency. Libraries never call Date.now() or setTimeout
// directly: they take a Clock, so tests can run time forwards at will (ManualClock) and
// a simulation can replay a failure from its seed.

export interface Clock {
  /** Wall-clock time in epoch milliseconds (record timestamps, retention). */
  nowMs(): number;
  /** Monotonic milliseconds for measuring durations and deadlines. */
  monotonicMs(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

interface Sleeper {
  readonly at: number;
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A clock that moves only when told. Sleepers wake in deadline order as `advance` passes
 * their deadlines; `runUntilIdle`-style loops in tests call `advance` step by step.
 */
export class ManualClock implements Clock {
  private now: number;
  private mono = 0;
  private seq = 0;
  private sleepers: Sleeper[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  /** Whole milliseconds, like Date.now(), even after fractional sleeps. */
  nowMs(): number {
    return Math.floor(this.now);
  }

  monotonicMs(): number {
    return this.mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = { at: this.mono + Math.max(0, ms), seq: this.seq++, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Number of pending sleepers (to tell a test whether anything waits on time). */
  get pending(): number {
    return this.sleepers.length;
  }

  /** The earliest pending deadline, or undefined when nothing sleeps. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const s of this.sleepers) if (min === undefined || s.at < min) min = s.at;
    return min;
  }

  /**
   * Moves time forward by `ms`, waking every sleeper whose deadline passes, in order.
   * After each wake-up the event loop turns once (setImmediate), so the woken code runs
   * at its own deadline before time moves on.
   */
  async advance(ms: number): Promise<void> {
    const target = this.mono + ms;
    for (;;) {
      const due = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.sleepers = this.sleepers.filter((s) => s !== due);
      this.now += due.at - this.mono;
      this.mono = due.at;
      due.resolve();
      await new Promise<void>((r) => setImmediate(r));
    }
    this.now += target - this.mono;
    this.mono = target;
  }
}
