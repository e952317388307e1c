// Checks every process has: a fatal error (the process is stopping to be restarted), a
// shutdown under way (SIGTERM: not ready, so traffic goes elsewhere, but still live), and
// the event loop's progress.

import type { HealthCheck } from './checks.ts';
import type { EventLoopStallWatch } from './event-loop-stall.ts';

/** Fails once a fatal error happened (`fatal()` returns its text): both probes, a restart recovers. */
export function fatalCheck(fatal: () => string | undefined): HealthCheck {
  return {
    name: 'fatal',
    problem: () => {
      const f = fatal();
      return f === undefined ? undefined : `fatal error: ${f}`;
    },
  };
}

/** Fails from SIGTERM on (readiness only: a stopping process is still alive). */
export function shutdownCheck(stopping: () => boolean, what = 'shutting down'): HealthCheck {
  return { name: 'shutdown', problem: () => (stopping() ? what : undefined) };
}

export function eventLoopCheck(watch: EventLoopStallWatch): HealthCheck {
  return { name: 'event-loop', problem: () => watch.problem() };
}
