// Turns one request frame into one response frame: decode the header, find the handler
// registered for (API key, version), decode the body, call the handler, encode its
// answer. Bad input never throws out of here: malformed frames close the connection
// (as Kafka does), unsupported versions are answered where the protocol allows it.
// Handlers answer a failed controller call per item (controller-failure.ts); one that
// throws has a bug, and the connection is closed — reported as a controller failure the
// handler let through when it is one, so the log says which call went unanswered.
// Bytes after a body the schema fully describes are ignored, as Kafka ignores them:
// librdkafka 2.15+ sends some after Metadata v9+ requests.
// Client quotas (quotas/client-quotas.ts), when any is stored, are charged here per request
// after the handler answered: the answer carries the throttle time, and the result tells
// the connection how long to stop reading from the client.

import type { ConnectionSession } from './auth/principal.ts';
import { ApiKey, ApiRegistry, apiSpec, decodeRequestBodyPrefix, decodeRequestHeader, encodeResponse, ErrorCode } from '@stratus/protocol';
import type { ApiKeyNumber, ParsedRequestHeader } from '@stratus/protocol';
import { CloseConnection, NO_RESPONSE } from './handler.ts';
import type { AnyApiHandler, RequestContext, ResponseAllowance } from './handler.ts';
import { controllerFailure } from './controller-failure.ts';
import type { ClientQuotas } from './quotas/client-quotas.ts';

/** What the network layer does with a frame's outcome. */
export type DispatchResult =
  /** `throttleMs`: a client over its quota; the connection reads nothing more from it for that long once the answer is out. */
  | { readonly kind: 'response'; readonly chunks: readonly Buffer[]; readonly throttleMs?: number }
  | { readonly kind: 'none'; readonly throttleMs?: number }
  | { readonly kind: 'close'; readonly reason: string };

export interface ConnectionInfo {
  readonly connectionId: number;
  /** The listener the connection arrived on: what Metadata and FindCoordinator answer addresses of. */
  readonly listenerName: string;
  readonly remoteAddress: string;
  readonly signal: AbortSignal;
  /** Its security session (principal); absent where nothing tracks one (tests): User:ANONYMOUS. */
  readonly session?: ConnectionSession;
}

/** The connection of a request with a problem (for log lines: its id and peer, with the request's correlation id in the header). */
export interface ProblemConnection {
  readonly connectionId: number;
  readonly remoteAddress: string;
}

export interface DispatcherEvents {
  /** A request was refused or failed; for logs and metrics. */
  /** A request the broker could not serve as asked (the connection closes, or the answer is an error); `conn` names the connection it came on, for the log. */
  readonly onProblem?: (problem: string, header: ParsedRequestHeader | undefined, error?: unknown, conn?: ProblemConnection) => void;
  /** A connection's first request with bytes after its body (later ones are not reported); for a debug log. */
  readonly onTrailingBytes?: (header: ParsedRequestHeader, trailingBytes: number, conn: ConnectionInfo) => void;
  /**
   * Every request a handler served, for metrics: its decoded body, the handler's answer
   * (undefined when the handler failed or its answer could not be encoded; NO_RESPONSE or a
   * CloseConnection as returned) and the time from the decoded request to the encoded
   * answer, long polls included. Called once per request; must be cheap and must not throw.
   */
  readonly onRequest?: (header: ParsedRequestHeader, request: unknown, response: unknown, durationMs: number) => void;
}

/**
 * Decides, from the API key alone, whether a connection may send a request now: undefined
 * serves it, a string closes the connection with that reason. SASL listeners serve only
 * the authentication APIs until the client has authenticated (auth/sasl/).
 */
export type RequestGate = (apiKey: number, conn: ConnectionInfo) => string | undefined;

export class Dispatcher {
  readonly registry = new ApiRegistry<AnyApiHandler>();
  private readonly events: DispatcherEvents;
  private readonly gate: RequestGate | undefined;
  private readonly quotas: ClientQuotas | undefined;
  /** Connections already reported for trailing bytes: one log line per client, not per request. */
  private readonly trailingReported = new WeakSet<ConnectionInfo>();

  constructor(handlers: readonly AnyApiHandler[], events: DispatcherEvents = {}, gate?: RequestGate, quotas?: ClientQuotas) {
    this.events = events;
    this.gate = gate;
    this.quotas = quotas;
    for (const h of handlers) {
      this.registry.register({ apiKey: h.apiKey, accept: h.accept, ...(h.advertise ? { advertise: h.advertise } : {}), handler: h });
    }
  }

  /** `responseBudget` is this request's share of the response budget (see ResponseAllowance), when a network layer offers one. */
  async dispatch(frame: Buffer, conn: ConnectionInfo, responseBudget?: ResponseAllowance): Promise<DispatchResult> {
    // Only while a quota is stored is the broker's time on a request measured.
    const metered = this.quotas?.active() === true ? performance.now() : undefined;
    const decodedHeader = decodeRequestHeader(frame);
    if (!decodedHeader.ok) return this.close(`malformed request header: ${decodedHeader.error.message}`, undefined, undefined, conn);
    const { header, bodyOffset } = decodedHeader.value;
    const refused = this.gate?.(header.apiKey, conn);
    if (refused !== undefined) return this.close(refused, header, undefined, conn);
    const handler = this.registry.lookup(header.apiKey, header.apiVersion);
    if (handler === undefined) return this.unsupported(header, conn);
    const body = decodeRequestBodyPrefix(header.apiKey as ApiKeyNumber, header.apiVersion, frame, bodyOffset);
    if (!body.ok) return this.close(`malformed ${apiSpec(header.apiKey)?.name ?? header.apiKey} v${header.apiVersion} request: ${body.error.message}`, header, undefined, conn);
    if (body.value.trailingBytes > 0 && !this.trailingReported.has(conn)) {
      this.trailingReported.add(conn);
      this.events.onTrailingBytes?.(header, body.value.trailingBytes, conn);
    }
    const ctx: RequestContext = { header, connectionId: conn.connectionId, listenerName: conn.listenerName, remoteAddress: conn.remoteAddress, signal: conn.signal, responseBudget, ...(conn.session !== undefined ? { session: conn.session } : {}) };
    const onRequest = this.events.onRequest;
    const started = onRequest !== undefined ? performance.now() : 0;
    const result = await this.handle(handler, body.value.body, ctx, metered === undefined ? undefined : { frameBytes: frame.length, decodeMs: performance.now() - metered });
    if (onRequest !== undefined) onRequest(header, body.value.body, result.kind === 'close' ? undefined : result.answer, performance.now() - started);
    return result.kind === 'close' ? result.closed : result.encoded;
  }

  /** Calls the handler and encodes its answer; a failure closes the connection. */
  private async handle(
    handler: AnyApiHandler,
    request: unknown,
    ctx: RequestContext,
    metered?: { frameBytes: number; decodeMs: number },
  ): Promise<{ kind: 'answered'; answer: unknown; encoded: DispatchResult } | { kind: 'close'; closed: DispatchResult }> {
    const header = ctx.header;
    let result: unknown;
    let threadMs = 0;
    try {
      if (metered === undefined) result = await handler.handle(request, ctx);
      else {
        // The handler's synchronous part is the broker's work; its waits are not.
        const started = performance.now();
        const pending = handler.handle(request, ctx);
        threadMs = metered.decodeMs + performance.now() - started;
        result = await pending;
      }
    } catch (e) {
      // A handler bug: the client cannot be told what failed in a schema-correct way for
      // every API, so the connection is closed and the client retries elsewhere. A
      // controller failure should have been answered per item by the handler.
      const failure = controllerFailure(e);
      if (failure !== undefined) {
        return { kind: 'close', closed: this.close(`handler for API ${header.apiKey} let a controller failure through (${failure.code}) instead of answering it per item`, header, e, ctx) };
      }
      return { kind: 'close', closed: this.close(`handler for API ${header.apiKey} failed`, header, e, ctx) };
    }
    if (result instanceof CloseConnection) return { kind: 'answered', answer: result, encoded: this.close(result.reason, header, undefined, ctx) };
    if (metered !== undefined && this.quotas !== undefined) return this.throttled(this.quotas, result, request, ctx, metered.frameBytes, threadMs);
    if (result === NO_RESPONSE) return { kind: 'answered', answer: result, encoded: { kind: 'none' } };
    try {
      return { kind: 'answered', answer: result, encoded: { kind: 'response', chunks: encodeResponse(header.apiKey as ApiKeyNumber, header.apiVersion, header.correlationId, result as never) } };
    } catch (e) {
      return { kind: 'close', closed: this.close(`encoding the API ${header.apiKey} v${header.apiVersion} response failed`, header, e, ctx) };
    }
  }

  /**
   * Charges the request to the client quotas that apply and encodes the answer they leave:
   * throttle_time_ms raised to the throttle, a throttled Fetch without data. A Fetch is
   * charged by its encoded size, so it is encoded first (and again when throttled).
   */
  private throttled(quotas: ClientQuotas, result: unknown, request: unknown, ctx: RequestContext, requestBytes: number, threadMs: number): { kind: 'answered'; answer: unknown; encoded: DispatchResult } | { kind: 'close'; closed: DispatchResult } {
    const header = ctx.header;
    const encode = (answer: unknown): Buffer[] => encodeResponse(header.apiKey as ApiKeyNumber, header.apiVersion, header.correlationId, answer as never);
    try {
      let chunks: Buffer[] | undefined;
      let responseBytes = 0;
      if (header.apiKey === ApiKey.Fetch && result !== NO_RESPONSE) {
        const started = performance.now();
        chunks = encode(result);
        for (const c of chunks) responseBytes += c.length;
        threadMs += performance.now() - started;
      }
      const charged = quotas.charge({ header, session: ctx.session, request, answer: result, requestBytes, responseBytes, threadMs });
      const throttle = charged.throttleMs > 0 ? { throttleMs: charged.throttleMs } : {};
      if (charged.answer === NO_RESPONSE) return { kind: 'answered', answer: charged.answer, encoded: { kind: 'none', ...throttle } };
      if (chunks === undefined || charged.answer !== result) chunks = encode(charged.answer);
      return { kind: 'answered', answer: charged.answer, encoded: { kind: 'response', chunks, ...throttle } };
    } catch (e) {
      return { kind: 'close', closed: this.close(`encoding the API ${header.apiKey} v${header.apiVersion} response failed`, header, e, ctx) };
    }
  }

  /**
   * A version the broker does not serve. ApiVersions is answered in v0 with
   * UNSUPPORTED_VERSION and the supported ranges (clients then retry with a version they
   * share). Other APIs whose response schema has a top-level error code get it set to
   * UNSUPPORTED_VERSION; the rest close the connection, as Kafka does.
   */
  private unsupported(header: ParsedRequestHeader, conn: ProblemConnection): DispatchResult {
    this.events.onProblem?.(`unsupported API ${header.apiKey} v${header.apiVersion}`, header, undefined, conn);
    if (header.apiKey === ApiKey.ApiVersions) {
      const apiKeys = this.registry.advertised().map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion }));
      return { kind: 'response', chunks: encodeResponse(ApiKey.ApiVersions, 0, header.correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys }) };
    }
    const spec = apiSpec(header.apiKey);
    const valid = spec !== undefined && header.apiVersion >= spec.response.valid[0] && header.apiVersion <= spec.response.valid[1];
    if (valid && spec.response.fields.some((f) => f.name === 'errorCode' && header.apiVersion >= f.versions[0] && header.apiVersion <= f.versions[1])) {
      return {
        kind: 'response',
        chunks: encodeResponse(header.apiKey as ApiKeyNumber, header.apiVersion, header.correlationId, { errorCode: ErrorCode.UNSUPPORTED_VERSION } as never),
      };
    }
    return { kind: 'close', reason: `unsupported API ${header.apiKey} v${header.apiVersion}` };
  }

  private close(reason: string, header: ParsedRequestHeader | undefined, error: unknown, conn: ProblemConnection): DispatchResult {
    this.events.onProblem?.(reason, header, error, conn);
    return { kind: 'close', reason };
  }
}
