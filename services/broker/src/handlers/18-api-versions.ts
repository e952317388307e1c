// ApiVersions (key 18), versions 0–4. Lists every API the broker's handlers registered,
// with their advertised ranges, so the answer can never claim what no handler serves.
// An unsupported ApiVersions version never reaches this handler: the dispatcher answers
// it in v0 with UNSUPPORTED_VERSION, as clients expect. No features are advertised.

import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { AdvertisedApi } from '@stratus/protocol';
import { defineHandler } from '../handler.ts';

export function apiVersionsHandler(advertised: () => readonly AdvertisedApi[]) {
  return defineHandler({
    apiKey: ApiKey.ApiVersions,
    accept: [0, 4],
    handle: () => ({
      errorCode: ErrorCode.NONE,
      apiKeys: advertised().map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })),
      throttleTimeMs: 0,
    }),
  });
}
