import { describe, expect, it } from 'vitest';
import { ApiRegistry } from '../../src/api/registry.ts';
import { ApiKey } from '../../src/generated/index.ts';

describe('ApiRegistry', () => {
  it('advertises a wider range than it accepts, and looks up only accepted versions', () => {
    const reg = new ApiRegistry<string>();
    reg.register({ apiKey: ApiKey.Produce, accept: [3, 11], advertise: [0, 11], handler: 'produce' });
    reg.register({ apiKey: ApiKey.ApiVersions, accept: [0, 4], handler: 'api-versions' });
    expect(reg.advertised()).toEqual([
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ]);
    expect(reg.lookup(ApiKey.Produce, 2)).toBeUndefined();
    expect(reg.lookup(ApiKey.Produce, 3)).toBe('produce');
    expect(reg.lookup(ApiKey.Produce, 12)).toBeUndefined();
    expect(reg.lookup(ApiKey.Fetch, 4)).toBeUndefined();
    expect(reg.has(ApiKey.Produce)).toBe(true);
  });

  it('refuses registrations the codec or the advertisement could not honour', () => {
    const reg = new ApiRegistry<string>();
    expect(() => reg.register({ apiKey: 9999, accept: [0, 1], handler: 'x' })).toThrow(/no generated schema/);
    expect(() => reg.register({ apiKey: ApiKey.Metadata, accept: [0, 99], handler: 'x' })).toThrow(/outside the schema/);
    expect(() => reg.register({ apiKey: ApiKey.Metadata, accept: [4, 12], advertise: [0, 11], handler: 'x' })).toThrow(/must end at 12/);
    expect(() => reg.register({ apiKey: ApiKey.Metadata, accept: [4, 12], advertise: [5, 12], handler: 'x' })).toThrow(/start at or below 4/);
    reg.register({ apiKey: ApiKey.Metadata, accept: [0, 12], handler: 'x' });
    expect(() => reg.register({ apiKey: ApiKey.Metadata, accept: [0, 12], handler: 'y' })).toThrow(/registered twice/);
  });
});
