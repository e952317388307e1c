// What the benchmark reads from Linux /proc about a process and the machine: CPU seconds
// (utime + stime of every thread, /proc/<pid>/stat), resident memory (/proc/<pid>/status
// VmRSS), and the machine's busy time (/proc/stat) to tell when something else was running.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

let ticks: number | undefined;

/** Clock ticks per second of the /proc CPU counters (getconf CLK_TCK, 100 nearly everywhere). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticks;
}

/** User + system CPU seconds a process has used so far, or undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return (utime + stime) / clockTicks();
}

/** Resident set size in bytes, or undefined when the process is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    return kb ? Number(kb[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export interface MachineCpu {
  readonly busy: number;
  readonly total: number;
}

/** All cores' busy and total jiffies since boot (/proc/stat "cpu" line; idle + iowait count as not busy). */
export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const total = f.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
}

/**
 * Samples a broker's RSS every `intervalMs` (peak kept) and the CPU of the client tool that is
 * running (the last value read before it exits, so up to one interval short).
 */
export class Sampler {
  private readonly timer: NodeJS.Timeout;
  private peak = 0;
  private samples = 0;
  private clientPid: number | undefined;
  private clientCpu = 0;
  /** CPU seconds of the clients that finished under this sampler. */
  private clientTotal = 0;
  private busy = false;

  private readonly brokerPid: number;

  constructor(brokerPid: number, intervalMs = 200) {
    this.brokerPid = brokerPid;
    this.timer = setInterval(() => void this.sample(), intervalMs);
    void this.sample();
  }

  setClientPid(pid: number | undefined): void {
    this.clientPid = pid;
    if (pid !== undefined) this.clientCpu = 0;
  }

  clientDone(): void {
    this.clientTotal += this.clientCpu;
    this.clientCpu = 0;
    this.clientPid = undefined;
  }

  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const rss = await rssBytes(this.brokerPid);
      if (rss !== undefined) {
        this.peak = Math.max(this.peak, rss);
        this.samples++;
      }
      if (this.clientPid !== undefined) {
        const c = cpuSeconds(this.clientPid);
        if (c !== undefined) this.clientCpu = c;
      }
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<{ peakRssBytes: number; samples: number; clientCpuSeconds: number }> {
    clearInterval(this.timer);
    await this.sample();
    if (this.clientPid !== undefined) this.clientDone();
    return { peakRssBytes: this.peak, samples: this.samples, clientCpuSeconds: this.clientTotal };
  }
}
