// What `stratus broker` answers on /readyz and /livez (docs/operations.md, Health).
//
// Ready: it can serve its partitions — registered with the controller, its lease renewed
// in time (a controller unreachable for leaseMs - safetyMargin fences it: it leads nothing),
// the controller's metadata flowing (the watch stream delivers, so it knows who leads
// what) and showing this broker live, the WAL taking writes (not failed, its disk not full,
// the un-uploaded budget not used up), not shutting down, no fatal error. Draining does not
// make it unready: a drained broker still answers metadata, serves its rack's reads and
// redirects clients, and an operator's drain (a decommission) must not look like a failing pod.
//
// Live: no fatal error and the event loop turns. The controller, Redis or the object store
// being away never fails /livez: a restart would not bring them back, and it would throw the
// WAL's tail and the block cache's warm state away for nothing.

import type { HealthCheck } from './checks.ts';
import { eventLoopCheck, fatalCheck, shutdownCheck } from './common-checks.ts';
import type { EventLoopStallWatch } from './event-loop-stall.ts';

export interface BrokerHealthSources {
  readonly nodeId: number;
  readonly fatal: () => string | undefined;
  readonly stopping: () => boolean;
  readonly loop: EventLoopStallWatch;
  /** The broker's epoch (undefined before it registered) and whether it fenced itself. */
  readonly lease: () => { brokerEpoch: number | undefined; fenced: boolean };
  /** The broker lease (cluster.brokerLease): how long the metadata watch may be broken before the broker counts as blind. */
  readonly leaseMs: number;
  readonly watch: () => { brokenForMs: number };
  /** Whether the metadata the broker follows shows it live (registered and not fenced); undefined: no metadata. */
  readonly liveInMetadata: () => boolean | undefined;
  readonly writeProblem: () => string | undefined;
}

export function brokerHealth(s: BrokerHealthSources): { readiness: HealthCheck[]; liveness: HealthCheck[] } {
  const fatal = fatalCheck(s.fatal);
  const loop = eventLoopCheck(s.loop);
  const readiness: HealthCheck[] = [
    fatal,
    shutdownCheck(s.stopping, 'shutting down (moving partitions away)'),
    {
      name: 'registered',
      problem: () => (s.lease().brokerEpoch === undefined ? 'not registered with the controller yet' : undefined),
    },
    {
      name: 'controller-lease',
      problem: () => {
        const l = s.lease();
        if (l.brokerEpoch === undefined) return 'no lease before registration';
        return l.fenced ? 'fenced: no heartbeat reached the controller in time (the controller is unreachable or fenced this broker)' : undefined;
      },
    },
    {
      name: 'metadata',
      problem: () => {
        const broken = s.watch().brokenForMs;
        if (broken > s.leaseMs) return `the controller's metadata stream has been broken for ${Math.round(broken)} ms: leadership is not known`;
        const live = s.liveInMetadata();
        if (live === undefined) return 'no metadata from the controller yet';
        return live ? undefined : `the metadata does not show broker ${s.nodeId} live yet`;
      },
    },
    { name: 'wal', problem: s.writeProblem },
    loop,
  ];
  return { readiness, liveness: [fatal, loop] };
}
