// The event loop's progress, for /livez: a timer due every EVENT_LOOP_TICK_MS notes how
// late it fires (its drift). A loop that still turns but whose turns take longer than
// EVENT_LOOP_STALL_MS (a runaway synchronous computation, a process starved of CPU for that
// long) answers its probes late, if at all, and serves nothing in time: that is a
// condition a restart fixes. A loop stopped outright answers no probe at all, and the
// probe's timeout fails it. Nothing a dependency does (Redis, the controller, the object
// store away) stalls the loop: those are waited for asynchronously.
//
// One late tick fails /livez until the next tick is on time (about a second): a single
// pause — a long garbage collection, a VM or SIGSTOP pause — fails one probe, which
// Kubernetes' failureThreshold forgives; a loop that stays this slow fails every one.
// Cost: one timer callback per second.

import { performance } from 'node:perf_hooks';

/** How often the watch's timer is due. */
export const EVENT_LOOP_TICK_MS = 1000;
/** A tick this late means the loop has stalled (well above any garbage-collection pause of a healthy process). */
export const EVENT_LOOP_STALL_MS = 5000;

export class EventLoopStallWatch {
  private readonly tickMs: number;
  private readonly stallMs: number;
  private readonly timer: NodeJS.Timeout;
  private lastTickAt: number;
  private lastDriftMs = 0;

  constructor(tickMs = EVENT_LOOP_TICK_MS, stallMs = EVENT_LOOP_STALL_MS) {
    this.tickMs = tickMs;
    this.stallMs = stallMs;
    this.lastTickAt = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.lastDriftMs = Math.max(0, now - this.lastTickAt - this.tickMs);
      this.lastTickAt = now;
    }, tickMs);
    this.timer.unref(); // never what keeps a stopping process alive
  }

  /**
   * Undefined while the loop keeps time; otherwise how late the timer was (its last
   * tick), or is (a tick overdue now, seen by a probe that runs before the timer does).
   */
  problem(): string | undefined {
    const overdueMs = performance.now() - this.lastTickAt - this.tickMs;
    const lateMs = Math.max(this.lastDriftMs, overdueMs);
    if (lateMs <= this.stallMs) return undefined;
    return `the event loop stalled: a ${this.tickMs} ms timer ran ${Math.round(lateMs)} ms late (limit ${this.stallMs} ms)`;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
