// Errors of the admin REST API as RFC 9457 problem details (application/problem+json):
// `type` names the kind of problem (a URN of ours, stable for scripts to match on),
// `title` says it in words, `status` repeats the HTTP status, `detail` says what happened
// this time and what to do. Extra members (`errors`, `activeController`, `kafkaError`)
// carry what a client can act on.

import type { ServerResponse } from 'node:http';
import { ErrorCode, errorName } from '@stratus/protocol';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The kinds of problem, each with its status and title. */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'The request is not valid' },
  'unauthorized': { status: 401, title: 'A valid bearer token is required' },
  'read-only': { status: 403, title: 'The admin API is read-only' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'conflict': { status: 409, title: 'Conflict with the current state' },
  'payload-too-large': { status: 413, title: 'The request body is too large' },
  'unsupported-media-type': { status: 415, title: 'The request body must be JSON' },
  'too-many-requests': { status: 429, title: 'Too many operations under way' },
  'internal-error': { status: 500, title: 'Internal error' },
  'not-active-controller': { status: 503, title: 'This controller is not the active one' },
  'unavailable': { status: 503, title: 'The controller cannot serve this now' },
  'timeout': { status: 504, title: 'The request timed out' },
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export const problemType = (kind: ProblemKind): string => `urn:stratus:problem:${kind}`;

/** Thrown by handlers; the server answers it as problem+json. */
export class ApiProblem extends Error {
  readonly kind: ProblemKind;
  readonly extra: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
  constructor(kind: ProblemKind, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(detail);
    this.kind = kind;
    this.extra = extra;
    this.headers = headers;
  }

  get status(): number {
    return PROBLEMS[this.kind].status;
  }

  body(): Record<string, unknown> {
    return { type: problemType(this.kind), title: PROBLEMS[this.kind].title, status: this.status, detail: this.message, ...this.extra };
  }
}

export function sendProblem(res: ServerResponse, problem: ApiProblem): void {
  if (res.headersSent) return;
  const body = JSON.stringify(problem.body());
  res.writeHead(problem.status, { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Which problem a Kafka error code from the controller is, for the few that mean something to HTTP. */
const KIND_OF_KAFKA_ERROR = new Map<number, ProblemKind>([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'not-found'],
  [ErrorCode.UNKNOWN_TOPIC_ID, 'not-found'],
  [ErrorCode.BROKER_NOT_AVAILABLE, 'not-found'],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 'conflict'],
  [ErrorCode.REASSIGNMENT_IN_PROGRESS, 'conflict'],
  [ErrorCode.THROTTLING_QUOTA_EXCEEDED, 'too-many-requests'],
  [ErrorCode.LEADER_NOT_AVAILABLE, 'unavailable'],
  [ErrorCode.NOT_CONTROLLER, 'not-active-controller'],
  [ErrorCode.UNKNOWN_SERVER_ERROR, 'internal-error'],
]);

/** A refused item (a Kafka error code and message from the controller) as a problem; everything else is a bad request. */
export function kafkaProblem(result: { readonly errorCode: number; readonly errorMessage: string | null }, what: string): ApiProblem {
  const kind = KIND_OF_KAFKA_ERROR.get(result.errorCode) ?? 'bad-request';
  const name = errorName(result.errorCode);
  return new ApiProblem(kind, `${what}: ${result.errorMessage ?? name}`, { kafkaError: name });
}
