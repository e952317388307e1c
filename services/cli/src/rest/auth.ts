// The bearer token of the admin API's writes. The comparison hashes both sides first, so
// it takes the same time whatever the token given (length included) and timingSafeEqual
// always compares equal-length digests: nothing about the configured token leaks through
// response times.

import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1];
}

export function tokenMatches(given: string, configured: string): boolean {
  return timingSafeEqual(digest(given), digest(configured));
}
