// The errors a remote controller call can end in, as the broker sees them, and the
// names both ends of the wire use for them. A broker turns `retriable` ones into
// retriable Kafka errors for the items concerned (REQUEST_TIMED_OUT,
// COORDINATOR_NOT_AVAILABLE, ...), never into a closed connection; the others are
// answers the same request would get again.
//
// Each class has a stable `code` so callers can switch on it without instanceof across
// package copies. The commit contract's own refusals (CommitRefusedError,
// CommitTooLateError) are rebuilt as those very classes on the client, so the uploader
// treats a remote refusal exactly like an in-process one.

/** Trailer key the server sets on statuses that carry one of our error kinds. */
export const ERROR_KIND_TRAILER = 'stratus-error';

/** Values of the `stratus-error` trailer. */
export const ErrorKind = {
  commitRefused: 'commit-refused',
  commitTooLate: 'commit-too-late',
  invalidArgument: 'invalid-argument',
  controllerUnavailable: 'controller-unavailable',
  unimplemented: 'unimplemented',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** Base of the client's errors: a stable code, whether retrying later may succeed, and the gRPC status seen. */
export class ControllerRpcError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  /** The gRPC status code of the last attempt (14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, ...). */
  readonly grpcStatus: number;

  constructor(code: string, message: string, retriable: boolean, grpcStatus: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ControllerRpcError';
    this.code = code;
    this.retriable = retriable;
    this.grpcStatus = grpcStatus;
  }
}

/**
 * The controller could not be reached or did not answer in time (after the retries the
 * operation allows), or it is closed, failed or overloaded. The outcome of a mutation is
 * unknown: it may have taken effect (a retry of an idempotent one is safe; the others
 * answer as Kafka does after a timeout, e.g. TOPIC_ALREADY_EXISTS).
 */
export class ControllerUnavailableError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_UNAVAILABLE';
  constructor(message: string, grpcStatus: number, options?: { cause?: unknown }) {
    super(ControllerUnavailableError.CODE, message, true, grpcStatus, options);
    this.name = 'ControllerUnavailableError';
  }
}

/**
 * The mutation took effect (it returned metadata version `version`), but this client's
 * watched metadata did not reach that version within the bound: answering now could show
 * the caller metadata without its own change. Retriable: the change is durable, and a
 * retry of an idempotent mutation, or a later Metadata request, sees it.
 */
export class ControllerMetadataLagError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_METADATA_LAG';
  readonly version: number;

  constructor(version: number, waitedMs: number, seenVersion: number) {
    super(
      ControllerMetadataLagError.CODE,
      `the controller applied the change at metadata version ${version}, but this client's watched metadata is still at ${seenVersion} after ${waitedMs} ms`,
      true,
      0,
    );
    this.name = 'ControllerMetadataLagError';
    this.version = version;
  }
}

/** The controller refused the request as malformed (a RangeError in process): retrying it changes nothing. */
export class ControllerInvalidArgumentError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_INVALID_ARGUMENT';
  constructor(message: string, grpcStatus: number) {
    super(ControllerInvalidArgumentError.CODE, message, false, grpcStatus);
    this.name = 'ControllerInvalidArgumentError';
  }
}

/** The controller does not implement the operation (yet): Heartbeat, DrainBroker, ... before the lease work. */
export class ControllerUnimplementedError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_UNIMPLEMENTED';
  constructor(message: string, grpcStatus: number) {
    super(ControllerUnimplementedError.CODE, message, false, grpcStatus);
    this.name = 'ControllerUnimplementedError';
  }
}

/** Any other failure (a bug on either side, a response that does not decode): not retried. */
export class ControllerInternalError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_INTERNAL';
  constructor(message: string, grpcStatus: number, options?: { cause?: unknown }) {
    super(ControllerInternalError.CODE, message, false, grpcStatus, options);
    this.name = 'ControllerInternalError';
  }
}

/** The client was closed; calls made after close() reject with it. */
export class ControllerClientClosedError extends ControllerRpcError {
  static readonly CODE = 'CONTROLLER_CLIENT_CLOSED';
  constructor() {
    super(ControllerClientClosedError.CODE, 'the controller client is closed', false, 1);
    this.name = 'ControllerClientClosedError';
  }
}

/** A message on the wire that breaks the API's rules (a missing required field, an unknown enum string). */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}
