// The cluster chaos campaign's hands on the processes of a local cluster: SIGKILL, SIGTERM
// and restarts of brokers and controllers, SIGKILL and restart of Redis, each recorded,
// and a watch for exits nobody asked for — a crash or a fatal exit is a problem of the run
// (recorded with the log's tail) and the process is started again, as a supervisor would.

import type { Cluster } from '../cluster/lib/cluster.ts';
import type { StratusNode } from '../cluster/lib/stratus-node.ts';

/** A SIGTERM'd process that has not exited after this long is a problem (drain + shutdown are far shorter). */
const TERM_HANG_MS = 60_000;

export interface NodeStop {
  readonly node: string;
  readonly ms: number;
  readonly code: number | null;
  /**
   * Whether it answered /readyz when signalled. One still starting (a SIGTERM right after a
   * restart) may end by the signal itself, before its handler is installed: nothing to drain
   * or release yet, the same as Kafka's or any process's default; only ready ones must exit 0.
   */
  readonly wasReady: boolean;
}

export class ChaosCluster {
  readonly cluster: Cluster;
  readonly problems: string[] = [];
  readonly events: { atMs: number; what: string }[] = [];
  /** Every graceful stop: which process, how long, the exit code. */
  readonly stops: NodeStop[] = [];
  readonly starts = new Map<string, number>();
  private readonly down = new Set<string>();
  private readonly t0: number;
  private readonly timer: NodeJS.Timeout;
  private checking = false;

  constructor(cluster: Cluster, t0: number) {
    this.cluster = cluster;
    this.t0 = t0;
    this.timer = setInterval(() => void this.check(), 500);
  }

  get nodes(): StratusNode[] {
    return [...this.cluster.brokers, ...this.cluster.controllers];
  }

  broker(nodeId: number): StratusNode {
    const b = this.cluster.brokers.find((x) => x.nodeId === nodeId);
    if (b === undefined) throw new Error(`no broker ${nodeId}`);
    return b;
  }

  /** The active controller, or (when `which` is standby, or none is active) another running one. */
  async controller(which: 'active' | 'standby'): Promise<StratusNode | undefined> {
    const active = await this.cluster.activeController();
    if (which === 'active' && active !== undefined) return active;
    return this.cluster.controllers.find((c) => c !== active && c.alive) ?? active;
  }

  private note(what: string): void {
    this.events.push({ atMs: Date.now() - this.t0, what });
  }

  async kill(node: StratusNode): Promise<void> {
    if (!node.alive) return;
    this.down.add(node.name);
    await node.signal('SIGKILL');
    this.note(`SIGKILL ${node.name}`);
  }

  async term(node: StratusNode): Promise<void> {
    if (!node.alive) return;
    const wasReady = await node.ready();
    this.down.add(node.name);
    const t = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => (timer = setTimeout(() => r('hung'), TERM_HANG_MS)));
    const result = await Promise.race([node.signal('SIGTERM'), hung]);
    clearTimeout(timer);
    if (result === 'hung') {
      this.problems.push(`${node.name} did not exit within ${TERM_HANG_MS / 1000} s of SIGTERM: killed; its log ends:\n${node.logTail(3000)}`);
      await node.signal('SIGKILL');
    }
    const code = result === 'hung' ? null : result.code;
    this.stops.push({ node: node.name, ms: Date.now() - t, code, wasReady });
    this.note(`SIGTERM ${node.name}: exit ${String(code)} after ${Date.now() - t} ms`);
  }

  /** Starts a process again (after a kill or stop this campaign made). */
  start(node: StratusNode): void {
    if (node.alive) return;
    node.restart();
    this.down.delete(node.name);
    this.starts.set(node.name, (this.starts.get(node.name) ?? 0) + 1);
    this.note(`started ${node.name}`);
  }

  async killRedis(): Promise<void> {
    await this.cluster.redis.kill();
    this.note('SIGKILL redis');
  }

  async startRedis(): Promise<void> {
    await this.cluster.redis.restart();
    this.note('redis started on its AOF');
  }

  /** Every process this campaign stopped is running again (Redis too). */
  async ensureRunning(): Promise<void> {
    if (!this.cluster.redis.alive) await this.startRedis();
    for (const n of this.nodes) if (!n.alive) this.start(n);
  }

  /** An exit nobody asked for: recorded as a problem, and the process started again. */
  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      for (const n of this.nodes) {
        if (n.alive || this.down.has(n.name)) continue;
        this.problems.push(`${n.name} exited by itself at ${Math.round((Date.now() - this.t0) / 1000)} s; its log ends:\n${n.logTail(3000)}`);
        this.note(`${n.name} exited by itself: started again`);
        this.start(n);
      }
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
