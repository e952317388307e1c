// A request's own timeout (Produce's timeoutMs, DeleteRecords' timeoutMs) on the broker's
// injected clock: the work goes on, only the answer stops waiting for it.

import { CANCELLED } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';

/** `p`'s value, or 'timeout' once `timeoutMs` passes first. A timeout of 0 or less does not wait at all unless `p` is already settled. */
export async function withinTimeout<T>(clock: Clock, p: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  const stop = new AbortController();
  try {
    return await Promise.race([p, clock.sleep(Math.max(0, timeoutMs), stop.signal).then(() => 'timeout' as const)]);
  } finally {
    stop.abort(CANCELLED);
  }
}
