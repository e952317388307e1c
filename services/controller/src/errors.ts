// Failures of the controller itself, as opposed to per-item Kafka error codes. Both
// reject every later call: a closed controller is done, and a failed one (its metadata
// store failed to persist a record) has decided records it cannot vouch for, so the
// process must restart and recover the durable state.

export class ControllerClosedError extends Error {
  constructor() {
    super('controller is closed');
    this.name = 'ControllerClosedError';
  }
}

export class ControllerFailedError extends Error {
  constructor(cause: unknown) {
    super(`controller failed: its metadata store could not persist a change (${cause instanceof Error ? cause.message : String(cause)}); restart it to recover the durable state`, { cause });
    this.name = 'ControllerFailedError';
  }
}
