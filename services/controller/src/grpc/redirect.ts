// A standby controller's answer: "not me — ask the active one". Thrown by whatever
// ControllerApi a standby serves (process/active-slot.ts); the server turns it into
// UNAVAILABLE with the `stratus-error: not-active-controller` trailer and, when the
// standby knows it, the active controller's advertised gRPC address in
// `stratus-active-controller`. The client (client.ts with endpoints.ts) follows it at once:
// a standby executes nothing, so even a call that is never retried ('once') may be sent
// again to the address named.

/** Trailer naming the active controller's advertised gRPC address (host:port). */
export const ACTIVE_CONTROLLER_TRAILER = 'stratus-active-controller';

/** Value of the `stratus-error` trailer on a standby's refusals. */
export const NOT_ACTIVE_KIND = 'not-active-controller';

export class NotActiveControllerError extends Error {
  /** host:port of the active controller as the election lease names it; null when nobody holds it. */
  readonly activeAddress: string | null;
  constructor(activeAddress: string | null) {
    super(activeAddress === null ? 'this controller is a standby and no controller is active right now' : `this controller is a standby; the active controller is at ${activeAddress}`);
    this.name = 'NotActiveControllerError';
    this.activeAddress = activeAddress;
  }
}
