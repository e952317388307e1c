// Failures of the controller itself, as opposed to per-item Kafka error codes. Both
// reject every later call: a closed controller is done, and a failed one (its metadata
// store failed to persist a record) has decided records it cannot vouch for, so the
// process must restart and recover the durable state.
//
// Like the gRPC client's errors (grpc/errors.ts) each carries a stable `code` and
// `retriable`, so a broker classifies any controller failure by those fields alone
// (services/broker/src/controller-failure.ts). Retriable is the Kafka client's view: this
// controller will not answer again, but the request may succeed later — on another
// broker, or once the process restarted.

export class ControllerClosedError extends Error {
  static readonly CODE = 'CONTROLLER_CLOSED';
  readonly code = ControllerClosedError.CODE;
  readonly retriable = true;

  constructor() {
    super('controller is closed');
    this.name = 'ControllerClosedError';
  }
}

export class ControllerFailedError extends Error {
  static readonly CODE = 'CONTROLLER_FAILED';
  readonly code = ControllerFailedError.CODE;
  readonly retriable = true;

  constructor(cause: unknown) {
    super(`controller failed: its metadata store could not persist a change (${cause instanceof Error ? cause.message : String(cause)}); restart it to recover the durable state`, { cause });
    this.name = 'ControllerFailedError';
  }
}
