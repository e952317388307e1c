// What `stratus controller` answers on /readyz and /livez (docs/operations.md, Health).
//
// Ready: it does its job — the active controller with its metadata loaded, or a standby
// that can take over (it redirects brokers and admin clients to the active one, and it is
// the failover). Gating readiness on being active would keep the standbys of a Deployment
// unready for good and stall rolling updates. Both must reach the metadata store: its
// Redis must have answered an election-lease call (which every controller makes at least
// once per acquireRetry / renewInterval) within the lease time; one cut off from Redis is
// unready (an active one has stepped down by then anyway). With a file:// store there is
// no election: the one controller is active once the journal is loaded, and a journal
// failure is fatal. Which role it has is in stratus_controller_role and /api/v1/health.
//
// Live: no fatal error (a Controller that did not close when stepping down, a role change
// that failed) and the event loop turns. Redis away never fails /livez: every controller
// would be restarted in a loop by an outage a restart cannot fix.

import type { HealthCheck } from './checks.ts';
import { eventLoopCheck, fatalCheck, shutdownCheck } from './common-checks.ts';
import type { EventLoopStallWatch } from './event-loop-stall.ts';

export type ControllerRoleForHealth = 'standby' | 'activating' | 'active' | 'stopping' | 'stopped';

export interface ControllerHealthSources {
  readonly fatal: () => string | undefined;
  readonly stopping: () => boolean;
  readonly loop: EventLoopStallWatch;
  readonly role: () => ControllerRoleForHealth;
  /** Undefined without an election (file:// metadata). */
  readonly election: { readonly leaseMs: number; readonly answeredAgoMs: () => number | undefined } | undefined;
}

export function controllerHealth(s: ControllerHealthSources): { readiness: HealthCheck[]; liveness: HealthCheck[] } {
  const fatal = fatalCheck(s.fatal);
  const loop = eventLoopCheck(s.loop);
  const readiness: HealthCheck[] = [fatal, shutdownCheck(s.stopping)];
  const election = s.election;
  if (election !== undefined) {
    readiness.push({
      name: 'metadata-store',
      problem: () => {
        const ago = election.answeredAgoMs();
        if (ago === undefined) return 'Redis has not answered the election lease yet';
        return ago <= election.leaseMs ? undefined : `Redis has not answered the election lease for ${Math.round(ago)} ms (limit: election.leaseTime, ${election.leaseMs} ms)`;
      },
    });
  }
  readiness.push(
    {
      name: 'role',
      problem: () => {
        const role = s.role();
        if (role === 'active' || role === 'standby') return undefined; // a standby can take over: ready
        if (role === 'activating') return 'becoming the active controller (loading the metadata)';
        return role; // stopping, stopped
      },
    },
    loop,
  );
  return { readiness, liveness: [fatal, loop] };
}
