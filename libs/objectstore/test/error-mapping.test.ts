// The S3 and GCS error classifications, from the shapes their SDKs throw. The contract
// suite checks the common cases against real servers; this covers the ones a local server
// cannot produce (throttling, 5xx, resets).

import { describe, expect, it } from 'vitest';
import { s3ErrorCode } from '../src/adapters/s3-errors.ts';
import { gcsErrorCode } from '../src/adapters/gcs-errors.ts';

const s3 = (name: string, status?: number, extra: object = {}): unknown => ({ name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

describe('s3ErrorCode', () => {
  it.each([
    [s3('NoSuchKey', 404), 'not_found'],
    [s3('NotFound', 404), 'not_found'],
    [s3('NoSuchBucket', 404), 'invalid_argument'],
    [s3('PreconditionFailed', 412), 'precondition_failed'],
    [s3('ConditionalRequestConflict', 409), 'unavailable'],
    [s3('InvalidRange', 416), 'invalid_range'],
    [s3('SlowDown', 503), 'throttled'],
    [s3('ServiceUnavailable', 503), 'throttled'],
    [s3('TooManyRequests', 429), 'throttled'],
    [s3('InternalError', 500), 'unavailable'],
    [s3('Unknown', 502), 'unavailable'],
    [s3('AccessDenied', 403), 'access_denied'],
    [s3('Unknown', 403), 'access_denied'],
    [s3('SignatureDoesNotMatch', 403), 'access_denied'],
    [s3('CredentialsProviderError'), 'access_denied'],
    [s3('RequestTimeout', 400), 'timeout'],
    [s3('TimeoutError'), 'timeout'],
    [s3('InvalidArgument', 400), 'invalid_argument'],
    [s3('Error', undefined, { code: 'ECONNRESET' }), 'unavailable'],
    [s3('Error', undefined, { code: 'ECONNREFUSED' }), 'unavailable'],
    [s3('Error', undefined, { code: 'EAI_AGAIN' }), 'unavailable'],
    [s3('Error', undefined, { message: 'Region is missing' }), 'invalid_argument'],
    [new TypeError('boom'), 'internal'],
    ['a string', 'internal'],
  ])('%j → %s', (err, code) => {
    expect(s3ErrorCode(err)).toBe(code);
  });
});

describe('gcsErrorCode', () => {
  it.each([
    [{ code: 404 }, 'not_found'],
    [{ code: 412 }, 'precondition_failed'],
    [{ code: 416 }, 'invalid_range'],
    [{ code: 429 }, 'throttled'],
    [{ code: 500 }, 'unavailable'],
    [{ code: 503 }, 'unavailable'],
    [{ code: 408 }, 'timeout'],
    [{ code: 401 }, 'access_denied'],
    [{ code: 403 }, 'access_denied'],
    [{ code: 400 }, 'invalid_argument'],
    [{ code: 'ECONNREFUSED' }, 'unavailable'],
    [{ code: 'ERR_STREAM_PREMATURE_CLOSE' }, 'unavailable'],
    [{ code: 'CONTENT_DOWNLOAD_MISMATCH' }, 'unavailable'],
    [{ name: 'FetchError' }, 'unavailable'],
    [{ name: 'TimeoutError' }, 'timeout'],
    [new Error('?'), 'internal'],
  ])('%j → %s', (err, code) => {
    expect(gcsErrorCode(err)).toBe(code);
  });
});
