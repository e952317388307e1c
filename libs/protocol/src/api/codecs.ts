// Compiled codecs, built on first use and cached per (API key, version, direction).
// Compiling is the expensive step (it walks the schema once); afterwards a message
// costs only its closures.

import { compileMessage } from '../schema/compile.ts';
import type { CompiledMessage } from '../schema/compile.ts';
import { inRange } from '../schema/spec.ts';
import type { ApiSpec, MessageSpec } from '../schema/spec.ts';
import { apiSpecs } from '../generated/index.ts';

export type Direction = 'request' | 'response';

const cache = new Map<number, CompiledMessage<unknown>>();
const dataCache = new Map<MessageSpec, CompiledMessage<unknown>[]>();

export function apiSpec(apiKey: number): ApiSpec | undefined {
  return apiSpecs.get(apiKey);
}

/** Whether the codec knows this API at this version (not whether the broker accepts it). */
export function hasCodec(apiKey: number, version: number): boolean {
  const api = apiSpecs.get(apiKey);
  return api !== undefined && inRange(api.request.valid, version);
}

/** The compiled codec, or undefined when the API or version is unknown. */
export function codecFor(apiKey: number, version: number, direction: Direction): CompiledMessage<unknown> | undefined {
  if (!Number.isInteger(version) || version < 0 || version > 0x7fff) return undefined;
  const key = (apiKey * 0x8000 + version) * 2 + (direction === 'request' ? 0 : 1);
  let codec = cache.get(key);
  if (codec === undefined) {
    const api = apiSpecs.get(apiKey);
    if (api === undefined) return undefined;
    const spec = api[direction];
    if (!inRange(spec.valid, version)) return undefined;
    codec = compileMessage(spec, version);
    cache.set(key, codec);
  }
  return codec;
}

/** A codec for a message that is not an API body (headers, consumer protocol data). */
export function messageCodec<T>(spec: MessageSpec, version: number): CompiledMessage<T> {
  let byVersion = dataCache.get(spec);
  if (byVersion === undefined) dataCache.set(spec, (byVersion = []));
  let codec = byVersion[version];
  if (codec === undefined) {
    if (!inRange(spec.valid, version)) throw new RangeError(`${spec.name} has no version ${version}`);
    codec = compileMessage(spec, version);
    byVersion[version] = codec;
  }
  return codec as CompiledMessage<T>;
}
