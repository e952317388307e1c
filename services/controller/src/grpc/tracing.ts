// Controller RPCs as spans on both sides of the gRPC hop, with W3C trace context
// (traceparent, tracestate) carried in the call's metadata: a broker's call made inside a
// traced operation (an upload's commit, a produce that creates a topic) and the
// controller's handling of it share one trace, the server span a child of the client's.
//
// Calls that repeat on a timer (a broker's heartbeat every second) start no trace of their
// own; they are traced only when they arrive with (client: run inside) a trace.

import type { Metadata } from '@grpc/grpc-js';
import { SpanKind } from '@stratus/runtime';
import type { Span, SpanOptions, TraceContext, Tracing } from '@stratus/runtime';

const SERVICE = 'stratus.controller.v1.ControllerService';

/** RPCs (client method names) that are not traced unless part of a trace already. */
const PERIODIC: ReadonlySet<string> = new Set(['heartbeat']);

/** CommitObject from commitObject: the gRPC method's own name. */
function methodName(rpc: string): string {
  return rpc.charAt(0).toUpperCase() + rpc.slice(1);
}

function spanOptions(rpc: string, kind: SpanKind, parent?: TraceContext): SpanOptions {
  return {
    kind,
    ...(parent !== undefined ? { parent } : {}),
    attributes: { 'rpc.system': 'grpc', 'rpc.service': SERVICE, 'rpc.method': methodName(rpc) },
  };
}

/** Whether a call of `rpc` gets a span: always, unless periodic and outside any trace. */
function traced(rpc: string, inTrace: boolean): boolean {
  return inTrace || !PERIODIC.has(rpc);
}

/** The client's span of one logical call (its attempts and redirects included). */
export function traceClientCall<T>(tracing: Tracing, rpc: string, call: () => Promise<T>): Promise<T> {
  if (!traced(rpc, tracing.hasActiveSpan())) return call();
  return tracing.inSpan(`${SERVICE}/${methodName(rpc)}`, spanOptions(rpc, SpanKind.CLIENT), call);
}

/** Puts the active trace context into an attempt's metadata. */
export function injectTraceContext(tracing: Tracing, metadata: Metadata): void {
  tracing.inject(metadata, (m, key, value) => m.set(key, value));
}

/** The server's span of a call, child of the context its metadata carries; undefined for an untraced periodic call. */
export function startServerSpan(tracing: Tracing, rpc: string, metadata: Metadata): Span | undefined {
  const parent = tracing.extract(metadata, (m, key) => {
    const value = m.get(key)[0];
    return typeof value === 'string' ? value : undefined;
  });
  if (!traced(rpc, tracing.hasSpanIn(parent))) return undefined;
  return tracing.start(`${SERVICE}/${methodName(rpc)}`, spanOptions(rpc, SpanKind.SERVER, parent));
}
