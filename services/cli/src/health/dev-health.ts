// What `stratus dev` answers on /readyz and /livez (docs/operations.md, Health): one process
// with the controller embedded, so there is no lease or metadata stream to wait for — the
// controller is active once its journal is loaded (before the HTTP port opens), and a
// journal failure is fatal. Ready: no fatal error, not shutting down, the WAL takes writes,
// the event loop turns. Live: no fatal error and the event loop turns.

import type { HealthCheck } from './checks.ts';
import { eventLoopCheck, fatalCheck, shutdownCheck } from './common-checks.ts';
import type { EventLoopStallWatch } from './event-loop-stall.ts';

export interface DevHealthSources {
  readonly fatal: () => string | undefined;
  readonly stopping: () => boolean;
  readonly loop: EventLoopStallWatch;
  readonly writeProblem: () => string | undefined;
}

export function devHealth(s: DevHealthSources): { readiness: HealthCheck[]; liveness: HealthCheck[] } {
  const fatal = fatalCheck(s.fatal);
  const loop = eventLoopCheck(s.loop);
  return {
    readiness: [fatal, shutdownCheck(s.stopping), { name: 'wal', problem: s.writeProblem }, loop],
    liveness: [fatal, loop],
  };
}
