// Names of stream-set objects. A short hash comes first so that keys spread across
// prefixes: object stores rate-limit per prefix, and a time-ordered name alone would
// put every write of a cluster on one.

import { crc32c } from '@stratus/protocol';

/**
 * `<4 hex hash>/<prefix>/<nodeId>/<time ms, 13 digits>-<seq>.sso`, e.g.
 * `a3f0/stratus/1/1700000000123-000042.sso`. The hash is of the rest of the name.
 */
export function streamSetObjectKey(prefix: string, nodeId: number, timeMs: number, seq: number): string {
  const rest = `${prefix}/${nodeId}/${String(timeMs).padStart(13, '0')}-${String(seq).padStart(6, '0')}.sso`;
  const hash = (crc32c(Buffer.from(rest)) >>> 16).toString(16).padStart(4, '0');
  return `${hash}/${rest}`;
}
