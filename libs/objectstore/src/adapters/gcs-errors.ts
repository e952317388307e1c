// Classifies what @google-cloud/storage throws into ObjectStoreError codes. Duck-typed
// (ApiError carries the HTTP status in `code`; fetch and socket failures carry a string
// `code`), so it needs no SDK import and can be tested with plain objects.

import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStoreErrorCode } from '../object-store.ts';

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPROTO',
  'ERR_STREAM_PREMATURE_CLOSE',
  // The SDK's checksum check of a download: bytes were damaged in transit; fetch again.
  'CONTENT_DOWNLOAD_MISMATCH',
]);

export function gcsErrorCode(err: unknown): ObjectStoreErrorCode {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; status?: unknown; name?: unknown; message?: unknown };
  const status = typeof e.code === 'number' ? e.code : typeof e.status === 'number' ? e.status : undefined;
  const sys = typeof e.code === 'string' ? e.code : '';
  if (status !== undefined) {
    if (status === 404) return 'not_found';
    if (status === 412) return 'precondition_failed';
    if (status === 416) return 'invalid_range';
    if (status === 429) return 'throttled';
    if (status === 408) return 'timeout';
    if (status === 401 || status === 403) return 'access_denied';
    if (status >= 500) return 'unavailable';
    if (status >= 400) return 'invalid_argument';
  }
  if (NETWORK.has(sys) || sys.startsWith('UND_ERR_')) return 'unavailable';
  if (e.name === 'FetchError' || e.name === 'GaxiosError') return 'unavailable';
  if (e.name === 'TimeoutError') return 'timeout';
  return 'internal';
}

export function gcsError(err: unknown, operation: string, key: string | undefined): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const message = err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
  return new ObjectStoreError(gcsErrorCode(err), operation, key, message, { cause: err });
}
