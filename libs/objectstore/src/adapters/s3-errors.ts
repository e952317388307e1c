// Classifies what the AWS SDK throws into ObjectStoreError codes. Duck-typed on the
// error's fields ($metadata.httpStatusCode, name, Code, code) so it needs no SDK import
// and can be tested with plain objects. Not for deciding retries: that is `retriable`,
// derived from the code, acted on by withRetry.

import { ObjectStoreError } from '../object-store.ts';
import type { ObjectStoreErrorCode } from '../object-store.ts';

const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequests', 'TooManyRequestsException']);
const ACCESS = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired', 'CredentialsProviderError', 'AllAccessDisabled']);
/** Socket-level failures from Node and undici: the request may or may not have arrived. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EPROTO']);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function s3ErrorCode(err: unknown): ObjectStoreErrorCode {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SdkErrorShape;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const name = typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : '';
  const sys = typeof e.code === 'string' ? e.code : '';

  if (name === 'NoSuchBucket' || name === 'InvalidBucketName') return 'invalid_argument';
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) return 'not_found';
  if (name === 'PreconditionFailed' || status === 412) return 'precondition_failed';
  // AWS answers 409 when a conditional write races another one in flight: retry decides.
  if (name === 'ConditionalRequestConflict') return 'unavailable';
  if (name === 'InvalidRange' || status === 416) return 'invalid_range';
  if (THROTTLED.has(name) || status === 429 || status === 503) return 'throttled';
  // S3 reports an idle upload socket as 400 RequestTimeout; the SDK's own timeouts are TimeoutError.
  if (name === 'RequestTimeout' || name === 'TimeoutError' || name === 'RequestTimeoutException') return 'timeout';
  if (ACCESS.has(name) || status === 401 || status === 403) return 'access_denied';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (name === 'InternalError' || name === 'ServiceUnavailable') return 'unavailable';
  if (NETWORK.has(sys) || sys.startsWith('UND_ERR_')) return 'unavailable';
  if (status !== undefined && status >= 400) return 'invalid_argument';
  if (typeof e.message === 'string' && /region is missing/i.test(e.message)) return 'invalid_argument';
  return 'internal';
}

export function s3Error(err: unknown, operation: string, key: string | undefined): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ObjectStoreError(s3ErrorCode(err), operation, key, message, { cause: err });
}
