// Which header version goes with which API version. Two rules break clients when wrong:
// a flexible request uses request header v2 (whose ClientId still has a classic int16
// length), and ApiVersions responses always use response header v0, because a client
// must be able to read the reply before it knows which versions the broker speaks.

import { inRange } from '../schema/spec.ts';
import { apiSpecs, ApiKey } from '../generated/index.ts';

/** Request header version for an API version: 2 when flexible, else 1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const api = apiSpecs.get(apiKey);
  return api !== undefined && inRange(api.request.flexible, apiVersion) ? 2 : 1;
}

/** Response header version: 1 when flexible, else 0; always 0 for ApiVersions. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = apiSpecs.get(apiKey);
  return api !== undefined && inRange(api.response.flexible, apiVersion) ? 1 : 0;
}
