// Waiting for the cluster to reach a state, polling the controller's describeCluster:
// for `brokers drain --wait` and `partitions reassign --wait`.

import type { ControllerConnection } from './connect.ts';
import { describeCluster } from './cluster-view.ts';
import type { ClusterView } from './cluster-view.ts';

/** How often a wait asks the controller: a graceful hand-over takes well under a second. */
export const WAIT_POLL_MS = 250;
/** --timeout when not given: long enough for a broker leading thousands of partitions (cluster.maxConcurrentMoves at a time). */
export const DEFAULT_WAIT_TIMEOUT = '5m';

export interface WaitResult {
  readonly done: boolean;
  readonly elapsedMs: number;
  readonly last: ClusterView;
}

/**
 * Polls until `done(view)` holds or `timeoutMs` passed. `progress` gets every view whose
 * `describe` text differs from the one before (so a person sees each step, once).
 */
export async function waitFor(
  conn: ControllerConnection,
  timeoutMs: number,
  done: (view: ClusterView) => boolean,
  describe: (view: ClusterView) => string,
  progress: (line: string) => void,
): Promise<WaitResult> {
  const started = performance.now();
  let said: string | undefined;
  for (;;) {
    const view = await describeCluster(conn.client, conn.endpoints);
    const elapsedMs = performance.now() - started;
    const text = describe(view);
    if (text !== said) progress(text);
    said = text;
    if (done(view)) return { done: true, elapsedMs, last: view };
    if (elapsedMs >= timeoutMs) return { done: false, elapsedMs, last: view };
    await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, timeoutMs - elapsedMs))));
  }
}
