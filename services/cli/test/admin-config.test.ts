// The admin section of the configuration: the API token from STRATUS_ADMIN_API_TOKEN (or
// the file) for `stratus dev` and `stratus controller` alike, read-only when unset, and a
// bad token reported by its key without echoing the value (it is a secret).

import { describe, expect, it } from 'vitest';
import { controllerConfigSchema } from '../src/config/controller-schema.ts';
import { ConfigError, loadConfig, loadConfigWith } from '../src/config/load.ts';

const CONTROLLER_REQUIRED = { STRATUS_METADATA_URL: 'redis://127.0.0.1:6379', STRATUS_OBJECT_STORE_URL: 'file:///tmp/x' };

describe('admin config', () => {
  it('takes the token from STRATUS_ADMIN_API_TOKEN, with the limits\' defaults', () => {
    expect(loadConfig({ env: { STRATUS_ADMIN_API_TOKEN: 'a-token-of-20-chars!' } }).admin).toEqual({ apiToken: 'a-token-of-20-chars!', maxBodyBytes: 1024 * 1024, requestTimeout: 30_000 });
    expect(loadConfigWith(controllerConfigSchema, { env: { ...CONTROLLER_REQUIRED, STRATUS_ADMIN_API_TOKEN: 'a-token-of-20-chars!', STRATUS_ADMIN_REQUEST_TIMEOUT: '5s' } }).admin).toMatchObject({ apiToken: 'a-token-of-20-chars!', requestTimeout: 5000 });
  });

  it('has no token by default (the API is read-only)', () => {
    expect(loadConfig({ env: {} }).admin.apiToken).toBeUndefined();
  });

  it('refuses a short token naming the key, without echoing it', () => {
    let error: unknown;
    try {
      loadConfig({ env: { STRATUS_ADMIN_API_TOKEN: 'hunter2' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).toContain('admin.apiToken (from STRATUS_ADMIN_API_TOKEN)');
    expect(text).toContain('at least 16 characters');
    expect(text).not.toContain('hunter2');
    // Other keys still show what they got.
    expect(() => loadConfig({ env: { STRATUS_ADMIN_MAX_BODY_BYTES: '12' } })).toThrow(/admin.maxBodyBytes.*got "12"/);
  });
});
