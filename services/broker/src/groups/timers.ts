// Cancellable one-shot timers over an injected Clock, for the group coordinator's
// heartbeat, join, sync and pending-member deadlines. Every timer is tracked, so closing
// the coordinator cancels all of them and a ManualClock test sees no stray sleepers.
// Not a general scheduler: no repetition, no ordering promises beyond the Clock's own.

import type { Clock } from '@stratus/runtime';

export interface TimerHandle {
  /** Stops the timer; a no-op once it fired or was cancelled. */
  cancel(): void;
}

interface Entry extends TimerHandle {
  readonly controller: AbortController;
}

export class TimerSet {
  private readonly clock: Clock;
  private readonly live = new Set<Entry>();
  private readonly onError: (error: unknown) => void;

  constructor(clock: Clock, onError: (error: unknown) => void) {
    this.clock = clock;
    this.onError = onError;
  }

  /** Number of timers that have neither fired nor been cancelled. */
  get size(): number {
    return this.live.size;
  }

  schedule(delayMs: number, fire: () => void): TimerHandle {
    const controller = new AbortController();
    const entry: Entry = {
      controller,
      cancel: () => {
        if (this.live.delete(entry)) controller.abort();
      },
    };
    this.live.add(entry);
    this.clock.sleep(Math.max(0, delayMs), controller.signal).then(
      () => {
        // A timer cancelled after its sleep resolved but before this continuation ran
        // is no longer in the set: it must not fire.
        if (!this.live.delete(entry)) return;
        try {
          fire();
        } catch (e) {
          this.onError(e);
        }
      },
      () => {
        // Aborted: cancelled.
      },
    );
    return entry;
  }

  cancelAll(): void {
    for (const entry of [...this.live]) entry.cancel();
  }
}
