// The settings of the Redis metadata store and the controller lease, from the URL's
// parameters (what an operator configures) or from code, with defaults and bounds in
// one table. A parameter the table does not know is refused by name: a typo such as
// `?waitTimeout=500` must not silently leave the default in force.
//
//   parameter           default     what
//   prefix              stratus:    key prefix (redis-keys.ts)
//   wait                0           replicas that must acknowledge each write (WAIT); 0: none
//   waitTimeoutMs       1000        how long WAIT may take before the write counts as failed
//   maxValueBytes       1 MiB       largest journal entry or snapshot chunk stored as one value
//   snapshotChunkBytes  256 KiB     snapshot bytes encoded between two yields to the event loop
//   connectTimeoutMs    5000        connection (TCP, TLS, AUTH, ready check)
//   commandTimeoutMs    waitTimeoutMs + 5000   any reply (must exceed waitTimeoutMs)

import { DEFAULT_KEY_PREFIX, redisKeys } from './redis-keys.ts';
import type { RedisUrl } from './redis-url.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface RedisParams {
  readonly prefix: string;
  readonly wait: number;
  readonly waitTimeoutMs: number;
  readonly maxValueBytes: number;
  readonly snapshotChunkBytes: number;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
}

type NumericParam = Exclude<keyof RedisParams, 'prefix'>;

const BOUNDS: Readonly<Record<NumericParam, { readonly min: number; readonly max: number; readonly fallback: number }>> = {
  wait: { min: 0, max: 100, fallback: 0 },
  waitTimeoutMs: { min: 1, max: 600_000, fallback: 1000 },
  // Redis' own limit on a value is 512 MB (proto-max-bulk-len); large values stall its event loop.
  maxValueBytes: { min: 1 * KiB, max: 256 * MiB, fallback: 1 * MiB },
  snapshotChunkBytes: { min: 1 * KiB, max: 64 * MiB, fallback: 256 * KiB },
  connectTimeoutMs: { min: 1, max: 600_000, fallback: 5000 },
  commandTimeoutMs: { min: 1, max: 3_600_000, fallback: -1 },
};

/** Extra time a reply may take beyond a WAIT's own timeout. */
const COMMAND_TIMEOUT_MARGIN_MS = 5000;

/** Reads the parameters of `url`, with `overrides` from code; the same setting in both is an error. */
export function readRedisParams(url: RedisUrl, overrides: Partial<RedisParams> = {}): RedisParams {
  const fail = (why: string): TypeError => new TypeError(`Redis URL ${url.redacted}: ${why}`);
  const known = new Set<string>(['prefix', ...Object.keys(BOUNDS)]);
  for (const key of url.params.keys()) {
    if (!known.has(key)) throw fail(`unknown parameter ${key} (known: ${[...known].join(', ')})`);
    if (overrides[key as keyof RedisParams] !== undefined) throw fail(`parameter ${key} is also set in the options: set it in one place`);
  }
  const number = (name: NumericParam): number | undefined => {
    const text = url.params.get(name);
    const value = text !== undefined ? (/^\d+$/.test(text) ? Number(text) : NaN) : overrides[name];
    if (value === undefined) return undefined;
    const { min, max } = BOUNDS[name];
    if (!Number.isSafeInteger(value) || value < min || value > max) throw fail(`${name} must be an integer from ${min} to ${max}, got ${text ?? String(value)}`);
    return value;
  };
  const pick = (name: NumericParam): number => number(name) ?? BOUNDS[name].fallback;
  const prefix = url.params.get('prefix') ?? overrides.prefix ?? DEFAULT_KEY_PREFIX;
  try {
    redisKeys(prefix);
  } catch (err) {
    throw fail((err as Error).message);
  }
  const waitTimeoutMs = pick('waitTimeoutMs');
  const commandTimeoutMs = number('commandTimeoutMs') ?? waitTimeoutMs + COMMAND_TIMEOUT_MARGIN_MS;
  const wait = pick('wait');
  if (wait > 0 && commandTimeoutMs <= waitTimeoutMs) throw fail(`commandTimeoutMs (${commandTimeoutMs}) must exceed waitTimeoutMs (${waitTimeoutMs}), or every WAIT would time out on the client first`);
  // A chunk larger than maxValueBytes is stored as several values (redis-snapshot.ts), so the two are independent.
  return { prefix, wait, waitTimeoutMs, maxValueBytes: pick('maxValueBytes'), snapshotChunkBytes: pick('snapshotChunkBytes'), connectTimeoutMs: pick('connectTimeoutMs'), commandTimeoutMs };
}
