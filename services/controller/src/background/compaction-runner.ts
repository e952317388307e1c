// Runs object compaction in the controller: plans merges on the durable state
// (ops/compaction.ts), has the Compactor (compaction/compactor.ts) read the sources and
// write the merges packed into objects, and swaps each object's merges into the index as
// soon as it is written (decideObjectCompaction: one ObjectCompacted record with the
// merges whose extents are still in place; when none is, the object is deleted at once —
// should that fail, the orphan sweep collects it).
//
// Bounded work: each run merges at most maxBytesPerRun source bytes (held in memory while
// it runs) and maxMergesPerRun merges; reads and writes are paced to bytesPerSecond. With
// work left over the next run starts at once (still paced), else after intervalMs.
//
// Failures never loop: a merge whose source is bad (missing, or not the batches the
// index says) sets that extent aside for as long as it stays in the index; a merge that
// fails on the object store maxAttempts times (over several runs) is set aside for
// setAsideMs. Both are reported through onProblem and counted; set-aside extents break
// runs in the planner, so everything around them still compacts.

import type { ObjectStore } from '@stratus/objectstore';
import type { Extent } from '@stratus/partition-index';
import type { Clock } from '@stratus/runtime';
import { Compactor } from '../compaction/compactor.ts';
import type { FailedMerge, WrittenObject } from '../compaction/compactor.ts';
import { selectCompactionTasks } from '../compaction/plan.ts';
import type { CompactionTask } from '../compaction/plan.ts';
import { RateLimiter } from '../compaction/rate-limiter.ts';
import type { BrokerSettings } from '../config/broker-config.ts';
import { compactionCandidates } from '../ops/compaction.ts';
import type { CompactionDecision } from '../ops/compaction.ts';
import type { Tx } from '../ops/tx.ts';
import { firstExtentAtOrAfter, partitionOf } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import type { ResolvedCompactionOptions } from '../config/gc-options.ts';

export interface CompactionRunnerDeps {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly keyPrefix: string;
  readonly options: ResolvedCompactionOptions;
  readonly broker: BrokerSettings;
  /** The durable state: merges are planned from what is committed for good. */
  readonly state: () => ControllerState;
  /** Runs a decision on the decided state and resolves once its records are durable. */
  readonly decide: <T>(decision: (tx: Tx) => T) => Promise<T>;
  readonly swap: (tx: Tx, written: WrittenObject) => CompactionDecision;
  readonly onProblem: (error: unknown, context: string) => void;
}

export interface CompactionRunSummary {
  /** Merges worth making when the run started. */
  readonly candidates: number;
  /** Merges this run attempted (within its budget). */
  readonly attempted: number;
  /** Merges swapped into the index. */
  readonly merged: number;
  /** Extents those merges replaced. */
  readonly extentsReplaced: number;
  /** Written merges the index refused (it changed meanwhile). */
  readonly refused: number;
  /** Objects written (PUTs), and those deleted again because every merge in them was refused. */
  readonly objectsWritten: number;
  readonly objectsDiscarded: number;
  /** Merges that failed (reading, checking or writing). */
  readonly failed: number;
  /** Extents newly set aside after failures. */
  readonly setAside: number;
  readonly gets: number;
  readonly bytesRead: number;
  readonly puts: number;
  readonly bytesWritten: number;
  /** Candidates were left over for the next run. */
  readonly more: boolean;
}

export interface CompactionStats {
  runs: number;
  merges: number;
  extentsReplaced: number;
  objectsWritten: number;
  gets: number;
  bytesRead: number;
  bytesWritten: number;
  refused: number;
  failures: number;
  /** Objects whose merges were all refused, deleted at once. */
  discarded: number;
  /** Such objects that could not be deleted at once (the orphan sweep takes them). */
  discardFailures: number;
  /** Extents set aside now. */
  setAside: number;
}

interface RunCounts {
  merged: number;
  extentsReplaced: number;
  refused: number;
  failed: number;
  setAside: number;
  objectsDiscarded: number;
}

interface SetAside {
  readonly extent: Extent;
  /** Wall-clock time from which it may be merged again (Infinity: while it is in the index). */
  readonly untilMs: number;
}

export class CompactionRunner {
  private readonly deps: CompactionRunnerDeps;
  private readonly compactor: Compactor;
  /** Failed attempts per merge, by its first extent. */
  private readonly attempts = new Map<string, number>();
  private readonly setAside = new Map<string, SetAside>();
  private chain: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private readonly totals = { runs: 0, merges: 0, extentsReplaced: 0, objectsWritten: 0, gets: 0, bytesRead: 0, bytesWritten: 0, refused: 0, failures: 0, discarded: 0, discardFailures: 0 };

  constructor(deps: CompactionRunnerDeps) {
    this.deps = deps;
    this.compactor = new Compactor({
      store: deps.store,
      clock: deps.clock,
      keyPrefix: deps.keyPrefix,
      targetObjectBytes: deps.options.targetObjectBytes,
      limiter: new RateLimiter(deps.clock, deps.options.bytesPerSecond),
      concurrency: deps.options.concurrency,
    });
  }

  stats(): CompactionStats {
    return { ...this.totals, setAside: this.setAside.size };
  }

  /** One run at `nowMs`; runs are serialized. Rejects when the controller refuses (failed, closed). */
  run(nowMs: number): Promise<CompactionRunSummary> {
    const next = this.chain.then(() => this.runOnce(nowMs));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Runs until stop(): back to back while work is left, else every intervalMs. `alive` false ends it. */
  start(alive: () => boolean): void {
    if (this.loop !== undefined || !this.deps.options.enabled) return;
    const signal = this.abort.signal;
    this.loop = (async () => {
      let more = false;
      while (!signal.aborted && alive()) {
        if (!more) {
          try {
            await this.deps.clock.sleep(this.deps.options.intervalMs, signal);
          } catch {
            return;
          }
        }
        if (!alive()) return;
        try {
          more = (await this.run(this.deps.clock.nowMs())).more;
        } catch (err) {
          more = false;
          if (signal.aborted || !alive()) return;
          this.deps.onProblem(err, 'compaction');
        }
      }
    })();
  }

  /** Stops the loop and any run in progress (its written, unswapped objects become orphans). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.chain;
  }

  private async runOnce(nowMs: number): Promise<CompactionRunSummary> {
    const o = this.deps.options;
    const state = this.deps.state();
    this.forgetSetAside(state, nowMs);
    const candidates = compactionCandidates(state, this.deps.broker, o, nowMs, (e) => this.setAside.has(extentId(e)));
    const tasks = selectCompactionTasks(candidates, { maxBytes: o.maxBytesPerRun, maxMerges: o.maxMergesPerRun });
    const counts: RunCounts = { merged: 0, extentsReplaced: 0, refused: 0, failed: 0, setAside: 0, objectsDiscarded: 0 };
    const stats =
      tasks.length === 0
        ? { gets: 0, bytesRead: 0, puts: 0, bytesWritten: 0 }
        : await this.compactor.run(tasks, { onWritten: (o) => this.swap(o, counts), onFailed: (f) => this.failed(f, nowMs, counts) }, this.abort.signal);
    this.totals.runs++;
    this.totals.objectsWritten += stats.puts;
    this.totals.gets += stats.gets;
    this.totals.bytesRead += stats.bytesRead;
    this.totals.bytesWritten += stats.bytesWritten;
    return { candidates: candidates.length, attempted: tasks.length, ...counts, ...stats, objectsWritten: stats.puts, more: tasks.length < candidates.length && counts.merged > 0 };
  }

  /** A written object: its merges are swapped in, or it is deleted when none can be. */
  private async swap(o: WrittenObject, counts: RunCounts): Promise<void> {
    for (const m of o.merges) this.attempts.delete(extentId(m.task.extents[0]!));
    const decision = await this.deps.decide((tx) => this.deps.swap(tx, o));
    for (const m of decision.accepted) {
      counts.merged++;
      counts.extentsReplaced += m.task.extents.length;
      this.totals.merges++;
      this.totals.extentsReplaced += m.task.extents.length;
    }
    counts.refused += decision.refused.length;
    this.totals.refused += decision.refused.length;
    if (decision.accepted.length > 0) return;
    try {
      await this.compactor.discard(o.objectKey);
      counts.objectsDiscarded++;
      this.totals.discarded++;
    } catch (err) {
      this.totals.discardFailures++;
      this.deps.onProblem(err, `compaction: deleting ${o.objectKey}, whose merges were all refused (${decision.refused[0]?.reason ?? ''}); the orphan sweep will`);
    }
  }

  /** A merge that failed: set aside at once when its source is bad, else after maxAttempts. */
  private failed(f: FailedMerge, nowMs: number, counts: RunCounts): void {
    counts.failed++;
    this.totals.failures++;
    if (f.badExtent !== undefined) {
      // Retention or DeleteRecords may have dropped the extent, and garbage collection its
      // object, while the run read: nothing is wrong then, and nothing to set aside.
      if (!inIndex(this.deps.state(), f.badExtent)) return;
      this.putAside(f.badExtent, Number.POSITIVE_INFINITY);
      counts.setAside++;
      this.deps.onProblem(f.error, `compaction: ${describe(f.task)}: extent ${f.badExtent.baseOffset}..${f.badExtent.lastOffset} in ${f.badExtent.objectKey} is set aside while it is in the index`);
      return;
    }
    const id = extentId(f.task.extents[0]!);
    const n = (this.attempts.get(id) ?? 0) + 1;
    if (n < this.deps.options.maxAttempts) {
      this.attempts.set(id, n);
      return;
    }
    this.attempts.delete(id);
    for (const e of f.task.extents) this.putAside(e, nowMs + this.deps.options.setAsideMs);
    counts.setAside += f.task.extents.length;
    this.deps.onProblem(f.error, `compaction: ${describe(f.task)} failed ${n} times; set aside for ${this.deps.options.setAsideMs} ms`);
  }

  private putAside(e: Extent, untilMs: number): void {
    this.setAside.set(extentId(e), { extent: e, untilMs });
  }

  /** Drops set-aside entries whose time is up or whose extent left the index. */
  private forgetSetAside(state: ControllerState, nowMs: number): void {
    for (const [id, s] of this.setAside) if (s.untilMs <= nowMs || !inIndex(state, s.extent)) this.setAside.delete(id);
    // Attempts of merges whose first extent is gone are as good as forgotten; keep the map bounded.
    if (this.attempts.size > 10 * this.deps.options.maxMergesPerRun) this.attempts.clear();
  }
}

function inIndex(state: ControllerState, e: Extent): boolean {
  const p = partitionOf(state, e);
  const at = p === undefined ? undefined : p.extents[firstExtentAtOrAfter(p.extents, e.baseOffset)];
  return at !== undefined && at.objectKey === e.objectKey && at.position === e.position && at.baseOffset === e.baseOffset;
}

function extentId(e: Extent): string {
  return `${e.objectKey}@${e.position}`;
}

function describe(t: CompactionTask): string {
  return `merge of ${t.topicId}:${t.partition} ${t.extents[0]!.baseOffset}..${t.extents[t.extents.length - 1]!.lastOffset} (${t.extents.length} extents)`;
}
