// Public entry of @stratus/runtime.

export { systemClock, ManualClock } from './clock.ts';
export type { Clock } from './clock.ts';
export { SeededRandom, Sfc32, systemRandom } from './random.ts';
export type { Random } from './random.ts';
export { CANCELLED } from './cancel.ts';
export { FollowedFiles } from './followed-files.ts';
export type { FollowedFilesOptions } from './followed-files.ts';
export { currentTracing, installTracing, parentBasedRatioSampler, SpanKind } from './tracing.ts';
export type { Attributes, Span, SpanOptions, TraceContext, Tracing } from './tracing.ts';
