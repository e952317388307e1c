// CPU seconds of every process of a local cluster over a measured interval: each broker and
// controller (their pids), Redis and the object store server (found by the port they listen
// on, through `ss`), the client's when measured, and the rest of the machine (the benchmark
// itself, anything else running) as the machine's busy time minus those. Linux /proc only.

import { spawnSync } from 'node:child_process';
import type { Cluster } from '../../cluster/lib/cluster.ts';
import { clockTicks, cpuSeconds, machineCpu } from '../lib/proc.ts';
import type { MachineCpu } from '../lib/proc.ts';

/** The pid of the process listening on a loopback TCP port (ss -ltnp), or undefined. */
export function pidListeningOn(port: number): number | undefined {
  const r = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(r.stdout ?? '');
  return m === null ? undefined : Number(m[1]);
}

export interface CpuSnapshot {
  readonly perProcess: ReadonlyMap<string, number>;
  readonly machine: MachineCpu;
}

export class ClusterCpu {
  private readonly pids: ReadonlyMap<string, () => number | undefined>;

  constructor(cluster: Cluster) {
    const pids = new Map<string, () => number | undefined>();
    for (const n of [...cluster.brokers, ...cluster.controllers]) pids.set(n.name, () => n.pid);
    const redisPid = pidListeningOn(cluster.redis.port);
    pids.set('redis', () => redisPid);
    const storePort = cluster.objectStore.endpoint === undefined ? undefined : Number(new URL(cluster.objectStore.endpoint).port);
    const storePid = storePort === undefined ? undefined : pidListeningOn(storePort);
    pids.set(cluster.objectStore.kind, () => storePid);
    this.pids = pids;
  }

  snapshot(): CpuSnapshot {
    const perProcess = new Map<string, number>();
    for (const [name, pid] of this.pids) {
      const p = pid();
      perProcess.set(name, p === undefined ? 0 : (cpuSeconds(p) ?? 0));
    }
    return { perProcess, machine: machineCpu() };
  }

  /**
   * CPU seconds per process between two snapshots, plus `measured` ones (the client's), and
   * the rest of the machine: its busy time not used by any of them (the benchmark itself,
   * and whatever else runs on the machine).
   */
  static between(a: CpuSnapshot, b: CpuSnapshot, measured: Readonly<Record<string, number>> = {}): Record<string, number> {
    const out: Record<string, number> = { ...measured };
    let sum = Object.values(measured).reduce((x, y) => x + y, 0);
    for (const [name, v] of b.perProcess) {
      const d = Math.max(0, v - (a.perProcess.get(name) ?? 0));
      out[name] = d;
      sum += d;
    }
    const busy = (b.machine.busy - a.machine.busy) / clockTicks();
    out['rest of the machine'] = Math.max(0, busy - sum);
    out['machine busy'] = busy;
    return out;
  }
}
