// The OpenTelemetry SDK, configured from tracing.* — loaded (by start.ts) only when tracing
// is on. Spans only: no automatic instrumentation (the spans that matter are Stratus's
// own, libs/runtime/src/tracing.ts), no OTel metrics (Prometheus has them: metrics.ts) and
// no OTel logs (pino writes them). W3C trace context is the propagator (the SDK's default).
// The batch processor's standard OTEL_BSP_* variables (e.g. OTEL_BSP_SCHEDULE_DELAY, 5000
// ms by default) tune how often spans are sent; OTEL_RESOURCE_ATTRIBUTES adds attributes
// to every span of the process (e.g. the pod's name), as the SDK reads it.

import { NodeSDK } from '@opentelemetry/sdk-node';
import type { NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { parentBasedRatioSampler } from '@stratus/runtime';
import type { TracingSettings } from './settings.ts';

/** The OTLP/HTTP traces URL of a base endpoint (as OTEL_EXPORTER_OTLP_ENDPOINT is read). */
export function tracesUrl(endpoint: string): string {
  return endpoint.endsWith('/v1/traces') ? endpoint : `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

export function startSdk(settings: TracingSettings & { otlpEndpoint: string }): NodeSDK {
  const sdk = new NodeSDK({
    serviceName: settings.serviceName,
    traceExporter: new OTLPTraceExporter({ url: tracesUrl(settings.otlpEndpoint) }),
    sampler: parentBasedRatioSampler(settings.samplingRatio) as unknown as NodeSDKConfiguration['sampler'],
    // Without these the SDK would start OTLP metric and log exporters of its own.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  return sdk;
}
