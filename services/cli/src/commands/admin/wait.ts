// Waiting for the cluster to reach a state, polling the controller's describeCluster:
// for `brokers drain --wait` and `partitions reassign --wait`.

import type { ControllerConnection } from './connect.ts';
import { describeCluster } from './cluster-view.ts';
import type { ClusterView } from './cluster-view.ts';
import type { Output } from './output.ts';

/** How often a wait asks the controller: a graceful hand-over takes well under a second. */
export const WAIT_POLL_MS = 250;
/** --timeout when not given: long enough for a broker leading thousands of partitions (cluster.maxConcurrentMoves at a time). */
export const DEFAULT_WAIT_TIMEOUT = '5m';

export interface WaitResult {
  readonly done: boolean;
  readonly elapsedMs: number;
  readonly last: ClusterView;
}

/** Where a wait stands: a line for people, and how much of the work is done (for the progress bar). */
export interface WaitStep {
  readonly line: string;
  readonly done: number;
  readonly total: number;
}

/**
 * Polls until `done(view)` holds or `timeoutMs` passed. Every view whose step differs
 * from the one before goes to `out.step` (a bar on a terminal, else a line: a person sees
 * each step once).
 */
export async function waitFor(
  conn: ControllerConnection,
  timeoutMs: number,
  done: (view: ClusterView) => boolean,
  describe: (view: ClusterView) => WaitStep,
  out: Output,
): Promise<WaitResult> {
  const started = performance.now();
  let said: string | undefined;
  for (;;) {
    const view = await describeCluster(conn.client, conn.endpoints);
    const elapsedMs = performance.now() - started;
    const step = describe(view);
    if (step.line !== said) out.step(step.line, step.done, step.total);
    said = step.line;
    if (done(view)) {
      out.endSteps();
      return { done: true, elapsedMs, last: view };
    }
    if (elapsedMs >= timeoutMs) {
      out.endSteps();
      return { done: false, elapsedMs, last: view };
    }
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, timeoutMs - elapsedMs))));
  }
}
