// A rebalance: leadership moves an operator asks for, run with a bound on how many of them
// are under way at once. Each move is the controller's graceful reassignment (the leader
// stops accepting, commits its tail, hands over; no data is copied). The moves run in
// waves, in the order given: up to maxConcurrentMoves start together (one reassignment
// call), and the next wave starts once every move of this one has ended — until all are
// done or failed or the timeout passes. Waves, rather than starting a move whenever one
// ends, because the controller keeps leadership even (it rebalances after every move that
// ends, counting moves under way at their targets): moves that keep it even only together,
// such as the two halves of a swap, must be under way together, and an operator gets that
// by putting them in the same wave. The controller's own limit (cluster.maxConcurrentMoves,
// shared with its own rebalancing) still applies: a move it refuses for capacity waits
// here for the next wave.
//
// One rebalance at a time per controller process, held in memory: it ends (its moves not
// started reported failed) when this controller steps down or stops; moves already under
// way are the controller's and finish regardless.

import type { Controller } from '@stratus/controller';
import { ErrorCode, errorName } from '@stratus/protocol';
import { REBALANCE_POLL_MS } from './constants.ts';

export type MoveState = 'pending' | 'moving' | 'done' | 'failed';

export interface MoveStatus {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  /** The leader when the rebalance started (-1: none). */
  readonly from: number;
  readonly to: number;
  state: MoveState;
  error: string | null;
  /** When the controller accepted the move, and when it was seen ended (epoch ms); null until then. */
  startedAtMs: number | null;
  endedAtMs: number | null;
}

export type RebalanceState = 'running' | 'finished' | 'timed-out' | 'stopped';

export interface RebalanceJob {
  readonly id: number;
  state: RebalanceState;
  readonly startedAtMs: number;
  finishedAtMs: number | null;
  readonly maxConcurrentMoves: number;
  readonly timeoutMs: number;
  readonly moves: MoveStatus[];
}

export interface RebalanceView extends Omit<RebalanceJob, 'moves'> {
  readonly counts: Readonly<Record<MoveState, number>>;
  readonly moves: readonly Omit<MoveStatus, 'topicId'>[];
}

export class RebalanceRunner {
  private job: RebalanceJob | undefined;
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;
  private readonly controller: () => Controller | undefined;

  /** `controller`: the active Controller, undefined while this process is not active. */
  constructor(controller: () => Controller | undefined) {
    this.controller = controller;
  }

  get running(): boolean {
    return this.job?.state === 'running';
  }

  /** Starts a rebalance of checked moves; the caller made sure none is running. */
  start(moves: readonly Omit<MoveStatus, 'state' | 'error' | 'startedAtMs' | 'endedAtMs'>[], options: { maxConcurrentMoves: number; timeoutMs: number }): RebalanceView {
    if (this.running) throw new Error('a rebalance is running');
    this.job = {
      id: this.nextId++,
      state: 'running',
      startedAtMs: Date.now(),
      finishedAtMs: null,
      maxConcurrentMoves: options.maxConcurrentMoves,
      timeoutMs: options.timeoutMs,
      moves: moves.map((m) => ({ ...m, state: 'pending', error: null, startedAtMs: null, endedAtMs: null })),
    };
    this.schedule(0);
    return this.view()!;
  }

  /** The running or last rebalance. */
  view(): RebalanceView | undefined {
    const j = this.job;
    if (j === undefined) return undefined;
    const counts = { pending: 0, moving: 0, done: 0, failed: 0 };
    for (const m of j.moves) counts[m.state]++;
    return { ...j, counts, moves: j.moves.map(({ topicId: _, ...m }) => ({ ...m })) };
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.running) this.finish('stopped', 'the controller stopped');
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private finish(state: RebalanceState, why: string | null): void {
    const j = this.job!;
    for (const m of j.moves) {
      if (m.state === 'pending' || (m.state === 'moving' && state !== 'finished')) {
        m.state = 'failed';
        m.error = why;
        m.endedAtMs = Date.now();
      }
    }
    j.state = state;
    j.finishedAtMs = Date.now();
  }

  private async tick(): Promise<void> {
    const j = this.job;
    if (j === undefined || j.state !== 'running' || this.ticking) return;
    this.ticking = true;
    try {
      const c = this.controller();
      if (c === undefined) return this.finish('stopped', 'this controller is no longer the active one: ask the active controller again');
      this.observe(c, j);
      if (Date.now() - j.startedAtMs >= j.timeoutMs) return this.finish('timed-out', `not finished within ${j.timeoutMs} ms (a move already under way is the controller's and may still complete)`);
      await this.startMoves(c, j);
      if (j.moves.every((m) => m.state === 'done' || m.state === 'failed')) return this.finish('finished', null);
    } catch (e) {
      return this.finish('stopped', `the controller failed: ${(e as Error).message}`);
    } finally {
      this.ticking = false;
    }
    this.schedule(REBALANCE_POLL_MS);
  }

  /** Moves under way that ended: done when the target leads, failed when the controller ended the move otherwise. */
  private observe(c: Controller, j: RebalanceJob): void {
    const topics = new Map(c.metadata().topics.map((t) => [t.topicId, t]));
    const now = Date.now();
    const end = (m: MoveStatus, error: string | null): void => {
      m.state = error === null ? 'done' : 'failed';
      m.error = error;
      m.endedAtMs = now;
    };
    for (const m of j.moves) {
      if (m.state !== 'moving') continue;
      const p = topics.get(m.topicId)?.partitions[m.partition];
      if (p === undefined) end(m, 'the topic was deleted');
      else if (p.movingTo !== undefined) continue; // still under way
      else if (p.leader === m.to) end(m, null);
      else end(m, `the controller ended the move with broker ${p.leader} leading (timed out, or the target left or drained)`);
    }
  }


  /** The next wave, once the last one has ended. */
  private async startMoves(c: Controller, j: RebalanceJob): Promise<void> {
    if (j.moves.some((m) => m.state === 'moving')) return;
    const batch = j.moves.filter((m) => m.state === 'pending').slice(0, j.maxConcurrentMoves);
    if (batch.length === 0) return;
    const results = await c.reassignPartitions(batch.map((m) => ({ topicId: m.topicId, partition: m.partition, leader: m.to })));
    const topics = new Map(c.metadata().topics.map((t) => [t.topicId, t]));
    const now = Date.now();
    batch.forEach((m, i) => {
      const r = results[i];
      if (r?.errorCode !== ErrorCode.THROTTLING_QUOTA_EXCEEDED) m.startedAtMs = now;
      if (r === undefined) {
        m.state = 'failed';
        m.error = 'the controller gave no result';
        m.endedAtMs = now;
      } else if (r.errorCode === ErrorCode.THROTTLING_QUOTA_EXCEEDED) {
        // The controller's own bound: stays pending, asked again on a later tick.
      } else if (r.errorCode !== ErrorCode.NONE) {
        m.state = 'failed';
        m.error = `${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`;
        m.endedAtMs = now;
      } else {
        const p = topics.get(m.topicId)?.partitions[m.partition];
        m.state = p !== undefined && p.leader === m.to && p.movingTo === undefined ? 'done' : 'moving';
        if (m.state === 'done') m.endedAtMs = now;
      }
    });
  }
}
