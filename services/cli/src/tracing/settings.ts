// What a process's tracing is configured with (the tracing config section): read by
// start.ts, which decides whether tracing is on, and by sdk.ts, which builds the SDK.

export interface TracingSettings {
  /** OTLP/HTTP base URL (http://collector:4318); spans go to <otlpEndpoint>/v1/traces. Unset: tracing off. */
  readonly otlpEndpoint?: string | undefined;
  readonly samplingRatio: number;
  readonly serviceName: string;
}
