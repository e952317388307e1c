// Tracing for a stratus process: off unless tracing.otlpEndpoint is set. Off, the
// OpenTelemetry SDK is not even loaded and components see no Tracing (libs/runtime's
// currentTracing() is undefined), so they create no spans and propagate nothing. On, the
// SDK (sdk.ts, the one module that imports it) exports spans over OTLP/HTTP (protobuf)
// in batches; what is still queued is flushed when the process's event loop empties after
// a clean stop ('beforeExit', so the commands' stop sequences need no step of their own),
// or by stop().

import { installTracing } from '@stratus/runtime';
import type { Logger } from '../logger.ts';
import type { TracingSettings } from './settings.ts';

export interface ProcessTracing {
  readonly enabled: boolean;
  /** Exports what is queued and stops the SDK (bounded: a collector that is down does not hold the exit). */
  stop(): Promise<void>;
}

/** How long stop() waits for the last export. */
const FLUSH_ON_STOP_MS = 3_000;

/** Must run before the process builds its components: they read whether tracing is on once. */
export async function startTracing(settings: TracingSettings, log: Logger): Promise<ProcessTracing> {
  if (settings.otlpEndpoint === undefined) {
    installTracing(false);
    return { enabled: false, stop: async () => undefined };
  }
  const { startSdk, tracesUrl } = await import('./sdk.ts');
  const sdk = startSdk({ ...settings, otlpEndpoint: settings.otlpEndpoint });
  installTracing(true);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= flushAndStop(sdk, log));
  process.once('beforeExit', () => void stop());
  log.info({ otlp: tracesUrl(settings.otlpEndpoint), samplingRatio: settings.samplingRatio, serviceName: settings.serviceName }, 'tracing: exporting spans over OTLP/HTTP');
  return { enabled: true, stop };
}

async function flushAndStop(sdk: { shutdown(): Promise<void> }, log: Logger): Promise<void> {
  installTracing(false);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), FLUSH_ON_STOP_MS);
  });
  try {
    const result = await Promise.race([sdk.shutdown().then(() => 'done' as const), timeout]);
    if (result === 'timeout') log.warn(`tracing: spans not exported within ${FLUSH_ON_STOP_MS} ms of the stop were dropped`);
  } catch (e) {
    log.warn({ err: e }, 'tracing: the last export failed');
  } finally {
    clearTimeout(timer);
  }
}
