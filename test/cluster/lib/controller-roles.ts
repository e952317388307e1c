// The controllers' roles over time, for the tests that take the active one away (Redis
// partitions, kills, freezes): each controller's activations and step-downs read from its
// log (with the epoch of the election lease), the rule that fencing must keep, and the
// role its /metrics show now.

import type { StratusNode } from './stratus-node.ts';

export interface RoleEntry {
  readonly controller: string;
  /** NaN for a stop (SIGTERM), which logs no epoch. */
  readonly epoch: number;
  readonly time: number;
  readonly what: 'active' | 'stepped down';
}

/** Every activation and step-down in the controllers' logs, oldest first. */
export function roleHistory(controllers: readonly StratusNode[]): RoleEntry[] {
  const out: RoleEntry[] = [];
  for (const c of controllers) {
    for (const l of c.logLines(/^active controller \(epoch \d+\)/)) out.push({ controller: c.name, epoch: Number(l['epoch']), time: Number(l['time']), what: 'active' });
    for (const l of c.logLines(/^lost the election lease of epoch|^the metadata store failed|stopping \(draining calls/)) {
      out.push({ controller: c.name, epoch: Number(l['epoch'] ?? NaN), time: Number(l['time']), what: 'stepped down' });
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

/**
 * The fencing rule, from the logs: every activation has an epoch of its own, larger than
 * every earlier one, and a controller becomes active only after the one active before it
 * stepped down. A controller that was killed or frozen meanwhile logs nothing until it
 * runs again: name it in `absent` (its activation then ends when the next one begins; a
 * frozen one must still log its step-down when it wakes — check that separately).
 */
export function fencingViolations(history: readonly RoleEntry[], absent: readonly string[] = []): string[] {
  const problems: string[] = [];
  let active: RoleEntry | undefined;
  let lastEpoch = 0;
  for (const e of history) {
    if (e.what === 'active') {
      if (e.epoch <= lastEpoch) problems.push(`${e.controller} active with epoch ${e.epoch}, not above ${lastEpoch}`);
      if (active !== undefined && active.controller !== e.controller && !absent.includes(active.controller)) {
        problems.push(`${e.controller} active (epoch ${e.epoch}) while ${active.controller} still was (epoch ${active.epoch})`);
      }
      active = e;
      lastEpoch = Math.max(lastEpoch, e.epoch);
    } else if (active?.controller === e.controller) {
      active = undefined;
    }
  }
  return problems;
}

/** What the controller's /metrics say it is now ('other': standby, activating, stopping, or not answering). */
export async function controllerRole(c: StratusNode): Promise<'active' | 'other'> {
  return (await c.metric('stratus_controller_role', 'role="active"')) === 1 ? 'active' : 'other';
}
