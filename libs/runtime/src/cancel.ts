// The reason given when a timer or wait is cancelled because it is no longer needed.
//
// AbortController.abort() without a reason builds a new DOMException, stack trace
// included; on a per-request path (every produce races its timeout, every long-poll
// fetch arms a wake) that showed up at ~0.8% of the broker's CPU under load. Nobody
// reads this reason: it only settles a sleep nobody waits for any more.

export const CANCELLED: Error = Object.freeze(new Error('cancelled: no longer needed')) as Error;
