// Prometheus metrics of the controller process (issue 10 §4), besides the controller's
// state and maintenance that metrics.ts has for dev too: which role this process has and
// with which lease epoch, how its election went (acquires, renewals, refusals, Redis
// errors), role changes, and every ControllerService call it served — counted and timed
// by operation and outcome (ok, error, or redirect to the active controller).

import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CallOutcome, ControllerNodeStatus } from '@stratus/controller';

const ROLES = ['standby', 'activating', 'active', 'stopping', 'stopped'] as const;

/** Registers the process gauges (read from `status` at scrape time); returns the per-call observer. */
export function controllerProcessMetrics(registry: Registry, status: () => ControllerNodeStatus | undefined): (method: string, durationMs: number, outcome: CallOutcome) => void {
  new Gauge({
    name: 'stratus_controller_role',
    help: 'This controller process\'s role: 1 for the current one (standby, activating, active, stopping)',
    labelNames: ['role'],
    registers: [registry],
    collect() {
      const s = status();
      if (s === undefined) return;
      for (const role of ROLES) this.set({ role }, s.role === role ? 1 : 0);
    },
  });
  new Gauge({
    name: 'stratus_controller_epoch',
    help: 'The election lease epoch this controller is active with (0 while standby)',
    registers: [registry],
    collect() {
      this.set(status()?.epoch ?? 0);
    },
  });
  new Gauge({
    name: 'stratus_controller_lease',
    help: 'Election lease calls since start, by outcome: acquired, held (by another controller), renewed, refused (lost), released, errors (Redis unreachable or timed out)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const lease = status()?.lease;
      if (lease === undefined) return;
      for (const [outcome, n] of Object.entries(lease)) this.set({ outcome }, n);
    },
  });
  new Gauge({
    name: 'stratus_controller_role_changes',
    help: 'Times this process became the active controller, and stepped down',
    labelNames: ['change'],
    registers: [registry],
    collect() {
      const s = status();
      if (s === undefined) return;
      this.set({ change: 'activated' }, s.activations);
      this.set({ change: 'stepped_down' }, s.stepDowns);
    },
  });
  const calls = new Counter({
    name: 'stratus_controller_rpcs',
    help: 'ControllerService calls served, by operation and outcome (ok, error, redirect: answered by a standby)',
    labelNames: ['method', 'outcome'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'stratus_controller_rpc_seconds',
    help: 'Time to answer a ControllerService call (from the API call to its answer, durable for mutations), by operation',
    labelNames: ['method'],
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  return (method, durationMs, outcome) => {
    calls.inc({ method, outcome });
    if (outcome !== 'redirect') seconds.observe({ method }, durationMs / 1000);
  };
}
