// Spans for the libraries and services, over the OpenTelemetry API — the only module that
// imports it. The process's tracing adapter (services/cli/src/tracing/) starts the SDK
// and installs a Tracing here before any component is built; components read
// `currentTracing()` once, when they are constructed, and keep the answer. When tracing
// is off that answer is undefined and a component's hot path is one `=== undefined` test:
// no span objects, no context switching, no propagation headers (the API's no-op tracer
// would still allocate a span per call and run the context manager).
//
// Context: with tracing on, the SDK's AsyncLocalStorage context manager carries the active
// span across awaits, so a call made inside `run(span, fn)` — a controller RPC made while
// producing, a commit made while uploading — becomes a child of that span, and the gRPC
// client's `inject` sends it on as a W3C traceparent header.

import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';

export type { Attributes, Span };
export { SpanKind };
/** A trace context extracted from a carrier (gRPC metadata), to parent a span with. */
export type TraceContext = Context;

export interface SpanOptions {
  readonly kind?: SpanKind;
  /** The parent: a span, or a context extracted from a request. Absent: the active span (if any). */
  readonly parent?: Span | TraceContext;
  /** A trace of its own, whatever is active (background work that a request only happened to start). */
  readonly root?: boolean;
  readonly attributes?: Attributes;
}

/** What components use to trace; present only when tracing is on. */
export interface Tracing {
  start(name: string, options?: SpanOptions): Span;
  /** Runs `fn` with `span` as the active span (its calls' spans become children). */
  run<T>(span: Span, fn: () => T): T;
  /** Runs `fn` in a new span, active while it runs, ended when its promise settles (failed if it rejects). */
  inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T>;
  /** Ends `span`, marking it failed (with the exception recorded) when `error` is given. */
  end(span: Span, error?: unknown): void;
  /** Whether a span is active (the caller runs inside a trace). */
  hasActiveSpan(): boolean;
  /** Whether a context (extracted from a request) carries a span to continue. */
  hasSpanIn(ctx: TraceContext): boolean;
  /** Writes the active trace context (traceparent, tracestate) into an outgoing carrier. */
  inject<C>(carrier: C, set: (carrier: C, key: string, value: string) => void): void;
  /** Reads a trace context from an incoming carrier (the root context when it has none). */
  extract<C>(carrier: C, get: (carrier: C, key: string) => string | undefined): TraceContext;
}

let installed: Tracing | undefined;

/**
 * Turns tracing on or off for components built from now on. The tracing adapter turns it on
 * after starting the SDK (which registered the global tracer provider), before building them.
 */
export function installTracing(on: boolean): void {
  installed = on ? tracingOver(trace.getTracer(TRACER_NAME)) : undefined;
}

/** The instrumentation scope of Stratus's spans. */
const TRACER_NAME = 'stratus';

/** The process's tracing, or undefined when off. Read once per component, at construction. */
export function currentTracing(): Tracing | undefined {
  return installed;
}

function isSpan(parent: Span | Context): parent is Span {
  return typeof (parent as Span).spanContext === 'function';
}

function tracingOver(tracer: Tracer): Tracing {
  return {
    start(name, options = {}) {
      const parent = options.root === true ? ROOT_CONTEXT : options.parent === undefined ? context.active() : isSpan(options.parent) ? trace.setSpan(context.active(), options.parent) : options.parent;
      return tracer.startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes !== undefined ? { attributes: options.attributes } : {}) }, parent);
    },
    run(span, fn) {
      return context.with(trace.setSpan(context.active(), span), fn);
    },
    inSpan(name, options, fn) {
      const span = this.start(name, options);
      return this.run(span, () => fn(span)).then(
        (result) => {
          this.end(span);
          return result;
        },
        (e: unknown) => {
          this.end(span, e);
          throw e;
        },
      );
    },
    end(span, error) {
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      span.end();
    },
    hasActiveSpan() {
      return trace.getSpan(context.active()) !== undefined;
    },
    hasSpanIn(ctx) {
      return trace.getSpan(ctx) !== undefined;
    },
    inject(carrier, set) {
      propagation.inject(context.active(), carrier, { set });
    },
    extract(carrier, get) {
      return propagation.extract(context.active(), carrier, { get, keys: () => [] });
    },
  };
}

/** The SDK's sampling decisions (its SamplingDecision enum's values). */
const NOT_RECORD = 0;
const RECORD_AND_SAMPLED = 2;

/**
 * A parent-based ratio sampler, in the shape the SDK's TracerProvider takes (the adapter
 * passes it on): a span with a parent (a local one, or a traceparent received over gRPC)
 * follows its parent's decision, so a trace is kept or dropped whole across processes; a
 * root span is kept for `ratio` of trace ids, decided from the id itself (as the SDK's
 * TraceIdRatioBased does) so every process agrees.
 */
export function parentBasedRatioSampler(ratio: number): {
  shouldSample(ctx: Context, traceId: string): { decision: 0 | 2 };
  toString(): string;
} {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`sampling ratio must be within [0, 1], got ${ratio}`);
  const bound = Math.floor(ratio * 0xffffffff);
  return {
    shouldSample(ctx, traceId) {
      const parent = trace.getSpanContext(ctx);
      if (parent !== undefined && trace.isSpanContextValid(parent)) return { decision: (parent.traceFlags & 1) === 1 ? RECORD_AND_SAMPLED : NOT_RECORD };
      if (ratio >= 1) return { decision: RECORD_AND_SAMPLED };
      // The trace id's last 8 hex digits, uniformly random.
      return { decision: parseInt(traceId.slice(-8), 16) < bound ? RECORD_AND_SAMPLED : NOT_RECORD };
    },
    toString: () => `ParentBased{root=TraceIdRatio{${ratio}}}`,
  };
}
