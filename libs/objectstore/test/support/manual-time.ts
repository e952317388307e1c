// Drives a ManualClock until a promise settles: whenever the code under test waits on the
// clock, time jumps to the next deadline. Lets backoff and timeout tests run in no real
// time with exact delays.

import type { ManualClock } from '@stratus/runtime';

export async function settle<T>(clock: ManualClock, work: Promise<T>, maxSteps = 10_000): Promise<T> {
  let done = false;
  const watched = work.finally(() => {
    done = true;
  });
  watched.catch(() => undefined);
  for (let step = 0; !done && step < maxSteps; step++) {
    await new Promise<void>((r) => setImmediate(r));
    if (done) break;
    const next = clock.nextDeadline();
    if (next !== undefined) await clock.advance(next - clock.monotonicMs());
  }
  return watched;
}
