// The controller's background work on objects besides retention: compaction (its own
// loop, compaction-runner.ts) and the orphan sweep (on the retention interval,
// orphan-sweep.ts). One place that wires them to the controller, so controller.ts only
// starts, stops and exposes them.

import type { ObjectStore } from '@stratus/objectstore';
import type { Clock } from '@stratus/runtime';
import type { WrittenObject } from '../compaction/compactor.ts';
import type { BrokerSettings } from '../config/broker-config.ts';
import { decideObjectCompaction } from '../ops/compaction.ts';
import { chunks } from '../ops/tx.ts';
import type { DecideContext, Tx } from '../ops/tx.ts';
import type { ControllerState } from '../state/state.ts';
import { CompactionRunner } from './compaction-runner.ts';
import type { CompactionRunSummary, CompactionStats } from './compaction-runner.ts';
import { commitMaxAgeMs } from '../config/gc-options.ts';
import type { ResolvedCompactionOptions, ResolvedOrphanSweepOptions } from '../config/gc-options.ts';
import { OrphanSweeper } from './orphan-sweep.ts';
import type { OrphanSweepStats, OrphanSweepSummary } from './orphan-sweep.ts';

export interface ObjectMaintenanceDeps {
  readonly objectStore: ObjectStore;
  readonly clock: Clock;
  readonly keyPrefix: string;
  readonly compaction: ResolvedCompactionOptions;
  readonly orphanSweep: ResolvedOrphanSweepOptions;
  /** How often the sweep runs (the retention interval). */
  readonly sweepIntervalMs: number;
  readonly broker: BrokerSettings;
  readonly ctx: DecideContext;
  /** The durable state (planning) and the decided one (what the index knows, for the sweep). */
  readonly durable: () => ControllerState;
  readonly decided: () => ControllerState;
  readonly decide: <T>(decision: (tx: Tx) => T) => Promise<T>;
  readonly onProblem: (error: unknown, context: string) => void;
}

export interface ObjectMaintenanceStats {
  readonly compaction: CompactionStats;
  readonly orphans: OrphanSweepStats;
  /** The partition index now: what compaction keeps small. */
  readonly index: { readonly extents: number; readonly maxExtentsPerPartition: number };
}

export class ObjectMaintenance {
  private readonly deps: ObjectMaintenanceDeps;
  private readonly compactor: CompactionRunner;
  private readonly sweeper: OrphanSweeper;
  private sweepChain: Promise<unknown> = Promise.resolve();
  private sweepLoop: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(deps: ObjectMaintenanceDeps) {
    this.deps = deps;
    const maxAge = commitMaxAgeMs(deps.orphanSweep);
    this.compactor = new CompactionRunner({
      store: deps.objectStore,
      clock: deps.clock,
      keyPrefix: deps.keyPrefix,
      options: deps.compaction,
      broker: deps.broker,
      state: deps.durable,
      decide: deps.decide,
      swap: (tx: Tx, written: WrittenObject) => decideObjectCompaction(tx, deps.ctx, written, maxAge),
      onProblem: deps.onProblem,
    });
    this.sweeper = new OrphanSweeper({
      store: deps.objectStore,
      keyPrefix: deps.keyPrefix,
      options: deps.orphanSweep,
      known: (key) => deps.decided().objects.has(key),
      chunk: (items) => chunks(items),
    });
  }

  runCompaction(nowMs: number): Promise<CompactionRunSummary> {
    return this.compactor.run(nowMs);
  }

  /** One orphan sweep at `nowMs`; sweeps are serialized. */
  sweepOrphans(nowMs: number): Promise<OrphanSweepSummary> {
    const run = this.sweepChain.then(() => this.sweeper.sweep(nowMs));
    this.sweepChain = run.catch(() => undefined);
    return run;
  }

  /** O(partitions): for scrapes, not hot paths. */
  stats(): ObjectMaintenanceStats {
    let extents = 0;
    let maxExtentsPerPartition = 0;
    for (const t of this.deps.durable().topics.values()) {
      for (const p of t.partitions) {
        extents += p.extents.length;
        maxExtentsPerPartition = Math.max(maxExtentsPerPartition, p.extents.length);
      }
    }
    return { compaction: this.compactor.stats(), orphans: { ...this.sweeper.stats }, index: { extents, maxExtentsPerPartition } };
  }

  /** Starts both loops (each only when enabled). `alive` false (the controller failed or closed) ends them. */
  start(alive: () => boolean): void {
    this.compactor.start(alive);
    if (this.sweepLoop !== undefined || !this.deps.orphanSweep.enabled) return;
    const signal = this.abort.signal;
    this.sweepLoop = (async () => {
      while (!signal.aborted && alive()) {
        try {
          await this.deps.clock.sleep(this.deps.sweepIntervalMs, signal);
        } catch {
          return;
        }
        if (!alive()) return;
        try {
          await this.sweepOrphans(this.deps.clock.nowMs());
        } catch (err) {
          if (signal.aborted || !alive()) return;
          this.deps.onProblem(err, 'orphan sweep');
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.compactor.stop();
    await this.sweepLoop;
    await this.sweepChain;
  }
}
