// What one API handler is: the API key it serves, the versions it accepts and
// advertises, and a function from the decoded request to the response body. One file
// per API key in handlers/ defines one of these; ApiVersions is built from them, so it
// never advertises what no handler serves.
//
// Handlers speak Kafka: they return error codes inside response bodies. They never see
// bytes (the dispatcher decodes and encodes) and never write to sockets.

import type { ConnectionSession } from './auth/principal.ts';
import type { ApiKeyNumber, Input, ParsedRequestHeader, RequestTypes, ResponseTypes, VersionRange } from '@stratus/protocol';

export interface RequestContext {
  readonly header: ParsedRequestHeader;
  readonly connectionId: number;
  /**
   * The listener the request arrived on (kafka.listeners): brokers' addresses in answers
   * are their advertised ones for this listener (KIP-103).
   */
  readonly listenerName: string;
  readonly remoteAddress: string;
  /** The connection's security session (its principal); absent in tests that build contexts by hand: User:ANONYMOUS. */
  readonly session?: ConnectionSession;
  /** Aborted when the connection closes or the broker shuts down: long polls end early. */
  readonly signal: AbortSignal;
  /** This request's share of the response-byte budget; absent when dispatch runs without a network layer. */
  readonly responseBudget?: ResponseAllowance | undefined;
}

/**
 * A request's share of the broker's response-byte budget, offered by the network layer.
 * Every answer is charged by its real size once it exists; a handler that is about to
 * build a large one (Fetch) reserves first, so that many of them cannot be built at once.
 */
export interface ResponseAllowance {
  /** Bytes this request holds now. */
  readonly heldBytes: number;
  /**
   * Grows what this request holds to `bytes` in total (at once when it holds that much
   * already). Waits until every earlier request on the connection has been answered
   * and the budgets admit it. Resolves false, holding nothing, once the connection is
   * closing: the answer will not be sent.
   */
  reserve(bytes: number): Promise<boolean>;
  /** Gives back what this request holds beyond `bytes` (before a long poll sleeps). */
  trim(bytes: number): void;
}

/** Returned by a handler that must not answer (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no response');

/** Returned by a handler that wants the connection closed without an answer. */
export class CloseConnection {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}

export type HandlerResult<K extends ApiKeyNumber> = Input<ResponseTypes[K]> | typeof NO_RESPONSE | CloseConnection;

export interface ApiHandler<K extends ApiKeyNumber> {
  readonly apiKey: K;
  /** Versions decoded and served. */
  readonly accept: VersionRange;
  /** Versions listed in ApiVersions (default: `accept`); must end where `accept` ends. */
  readonly advertise?: VersionRange;
  handle(request: RequestTypes[K], ctx: RequestContext): Promise<HandlerResult<K>> | HandlerResult<K>;
}

/** Identity function that fixes K, so a handler literal is checked against its API's types. */
export function defineHandler<K extends ApiKeyNumber>(handler: ApiHandler<K>): ApiHandler<K> {
  return handler;
}

/** Any handler, for registries and dispatch. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiHandler = ApiHandler<any>;
