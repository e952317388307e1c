// Controller calls that fail, as Kafka clients are told. A handler that awaits the
// controller — in process, or remote over gRPC where failing is expected — and meets a
// failure of the controller itself (unreachable, past its deadline, redirects exhausted,
// closed, failed, or answered before this broker's watched metadata caught up) answers
// the items concerned with a Kafka error and keeps the connection; the rest of the request
// is answered as usual. Any other exception is a bug and stays one (the dispatcher closes
// the connection).
//
// This is the one place that decides (a) whether an error is a controller failure — by
// the stable `code` and `retriable` every controller error carries (@stratus/controller
// errors.ts and grpc/errors.ts), never by its message, also when another error wraps it
// as its `cause` — and (b) which Kafka error each kind of request gets. The codes are
// chosen for what Kafka's brokers answer in the same situation and what the Java,
// librdkafka and kafkajs clients retry; docs/architecture.md ("The broker in a cluster")
// has the table and the reasons.

import {
  ControllerClientClosedError,
  ControllerClosedError,
  ControllerFailedError,
  ControllerInternalError,
  ControllerInvalidArgumentError,
  ControllerMetadataLagError,
  ControllerUnavailableError,
  ControllerUnimplementedError,
} from '@stratus/controller';
import type { ItemResult } from '@stratus/controller';
import { ErrorCode } from '@stratus/protocol';

/**
 * The Kafka error a retriable controller failure becomes, per kind of request:
 * - admin: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs,
 *   IncrementalAlterConfigs. NOT_CONTROLLER, not the REQUEST_TIMED_OUT of a KRaft broker
 *   whose forwarding timed out: the Java AdminClient and kafkajs retry a response with
 *   NOT_CONTROLLER (after a metadata refresh) but fail an item with REQUEST_TIMED_OUT for
 *   good, and librdkafka even reports CreateTopics' REQUEST_TIMED_OUT as success when its
 *   operation timeout is 0 or less (it takes the topic for being created).
 * - deleteRecords: REQUEST_TIMED_OUT, what Kafka answers when the new log start is not
 *   confirmed in time (the broker's own start has moved already).
 * - group: offsets and group lookups of the coordinator. COORDINATOR_NOT_AVAILABLE, what
 *   Kafka's coordinators answer when writing their log fails or times out "to let the
 *   client retry"; consumers find the coordinator again and retry the commit or fetch.
 * - producerIds: InitProducerId without a producer-id block. COORDINATOR_LOAD_IN_PROGRESS,
 *   as Kafka's ProducerIdManager answers while it waits for a block (older clients treat
 *   REQUEST_TIMED_OUT there as fatal; kafkajs retries only the coordinator errors).
 * - produce: a partition that cannot be opened (committed end, producer state).
 *   NOT_LEADER_OR_FOLLOWER: the batch took no offset and left no producer state, so the
 *   retry with the same sequence is judged as the first attempt; clients refresh metadata
 *   (the partition may be moving meanwhile) and librdkafka knows the batch is not persisted,
 *   where REQUEST_TIMED_OUT would say "maybe written".
 * - read: Fetch, ListOffsets, OffsetForLeaderEpoch when the partition index cannot be read.
 *   KAFKA_STORAGE_ERROR, as for a read the object store cannot serve: every consumer
 *   retries it after a metadata refresh.
 * - autoCreate: Metadata (and Produce) creating an unknown topic. LEADER_NOT_AVAILABLE, as
 *   Kafka answers while an auto-creation is under way: clients ask again.
 */
export const CONTROLLER_FAILURE_CODES = {
  admin: ErrorCode.NOT_CONTROLLER,
  deleteRecords: ErrorCode.REQUEST_TIMED_OUT,
  group: ErrorCode.COORDINATOR_NOT_AVAILABLE,
  producerIds: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  produce: ErrorCode.NOT_LEADER_OR_FOLLOWER,
  read: ErrorCode.KAFKA_STORAGE_ERROR,
  autoCreate: ErrorCode.LEADER_NOT_AVAILABLE,
} as const;

export type ControllerCallKind = keyof typeof CONTROLLER_FAILURE_CODES;

/** Every code a controller error carries. An error with another code (a Node system error's 'ECONNRESET', ...) is not one. */
const CONTROLLER_ERROR_CODES: ReadonlySet<string> = new Set([
  ControllerUnavailableError.CODE,
  ControllerMetadataLagError.CODE,
  ControllerClientClosedError.CODE,
  ControllerClosedError.CODE,
  ControllerFailedError.CODE,
  ControllerInvalidArgumentError.CODE,
  ControllerUnimplementedError.CODE,
  ControllerInternalError.CODE,
]);

/** How many `cause` links are followed to find a wrapped controller error: wrappers nest a level or two, never deep. */
const MAX_CAUSE_DEPTH = 4;

export interface ControllerFailure {
  /** The controller error's stable code (CONTROLLER_UNAVAILABLE, ...). */
  readonly code: string;
  /** Whether the Kafka client may retry the item: the controller may answer later, or another broker may. */
  readonly retriable: boolean;
  readonly message: string;
}

/** The controller failure `error` is or wraps, or undefined when it is something else. */
export function controllerFailure(error: unknown): ControllerFailure | undefined {
  let e: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && e instanceof Error; depth++) {
    const { code, retriable } = e as Error & { code?: unknown; retriable?: unknown };
    if (typeof code === 'string' && CONTROLLER_ERROR_CODES.has(code)) {
      // This broker's client closed: the broker is shutting down, so the client goes to
      // another one. The error says "not retriable" because this client never will.
      return { code, retriable: retriable === true || code === ControllerClientClosedError.CODE, message: e.message };
    }
    e = e.cause;
  }
  return undefined;
}

/**
 * What an item gets when a controller call of `kind` failed with `error`: the kind's
 * retriable code, or UNKNOWN_SERVER_ERROR when retrying cannot help (the controller found
 * the request malformed, does not implement it, or failed on a bug). Undefined when
 * `error` is not a controller failure: the caller rethrows it.
 */
export function controllerFailureAnswer(error: unknown, kind: ControllerCallKind): ItemResult | undefined {
  const failure = controllerFailure(error);
  if (failure === undefined) return undefined;
  if (!failure.retriable) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `The controller failed (${failure.code}): ${failure.message}` };
  return { errorCode: CONTROLLER_FAILURE_CODES[kind], errorMessage: `The controller is unavailable (${failure.code}): ${failure.message}` };
}

/**
 * Runs one controller call of `kind`. A controller failure becomes `onFailure(answer)` —
 * the caller's answers with that error for every item it asked about; anything else is
 * rethrown.
 */
export async function askController<T>(kind: ControllerCallKind, call: () => Promise<T>, onFailure: (answer: ItemResult) => T): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const answer = controllerFailureAnswer(e, kind);
    if (answer === undefined) throw e;
    return onFailure(answer);
  }
}
