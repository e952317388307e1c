// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51) through a real
// broker and controller (DataPathWorld): the salted password a client sends becomes
// StoredKey and ServerKey on the broker and goes no further (not in what the controller
// stores, not in its snapshot); a mechanism Kafka does not know is refused without keys;
// describe answers every user for a null or empty list and per user otherwise; a user
// changed twice in one request is refused as a whole; the credential stored authenticates
// the password it was made from.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ApiKey, ErrorCode, errorName } from '@stratus/protocol';
import { scramKeys } from '@stratus/controller';
import { DataPathWorld } from '../data-path/support/world.ts';
import { passwordMatches } from '../../src/auth/sasl/scram.ts';

const SHA256 = 1;
const SHA512 = 2;

function upsertion(name: string, mechanism: number, password: string, iterations = 4096) {
  const salt = randomBytes(32);
  const size = mechanism === SHA256 ? 32 : 64;
  return { name, mechanism, iterations, salt, saltedPassword: pbkdf2Sync(password, salt, iterations, size, mechanism === SHA256 ? 'sha256' : 'sha512') };
}

describe('SCRAM credential APIs on the broker', () => {
  let w: DataPathWorld;
  beforeAll(async () => {
    w = await DataPathWorld.open();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('advertises both APIs at version 0', async () => {
    const versions = await w.call(ApiKey.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const of = (key: number) => versions.apiKeys.find((k) => k.apiKey === key);
    expect(of(ApiKey.DescribeUserScramCredentials)).toMatchObject({ minVersion: 0, maxVersion: 0 });
    expect(of(ApiKey.AlterUserScramCredentials)).toMatchObject({ minVersion: 0, maxVersion: 0 });
  });

  it('stores keys derived from the salted password, never the salted password, and the credential authenticates the password', async () => {
    const u = upsertion('dora', SHA512, 'dora-password', 8192);
    const r = await w.call(ApiKey.AlterUserScramCredentials, 0, { deletions: [], upsertions: [u] });
    expect(r.results).toEqual([{ user: 'dora', errorCode: 0, errorMessage: null }]);
    const stored = await w.controller.scramCredential('dora', SHA512);
    expect(stored).toMatchObject({ user: 'dora', mechanism: SHA512, iterations: 8192, salt: u.salt, ...scramKeys(SHA512, u.saltedPassword) });
    expect(await passwordMatches('sha512', stored!, 'dora-password')).toBe(true);
    expect(await passwordMatches('sha512', stored!, 'not-it')).toBe(false);
    const snapshot = JSON.stringify(w.controller.snapshotData());
    expect(snapshot).not.toContain(u.saltedPassword.toString('base64'));
    expect(snapshot).not.toContain(u.saltedPassword.toString('hex'));
  });

  it("refuses a mechanism Kafka does not know, and a user changed twice in one request, with Kafka's codes", async () => {
    const r = await w.call(ApiKey.AlterUserScramCredentials, 0, {
      deletions: [{ name: 'erin', mechanism: SHA256 }],
      upsertions: [upsertion('frank', 3, 'x'), upsertion('erin', SHA512, 'x'), upsertion('gus', SHA256, 'gus-password'), upsertion('hank', SHA256, 'x'), upsertion('hank', SHA512, 'x')],
    });
    // erin's deletion fails first (nothing to delete), so her upsertion is not looked at (Kafka's order of checks).
    expect(r.results.map((x) => [x.user, errorName(x.errorCode), x.errorMessage])).toEqual([
      ['gus', 'NONE', null],
      ['erin', 'RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist'],
      ['frank', 'UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism'],
      ['hank', 'DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request'],
    ]);
    expect(await w.controller.scramCredential('erin', SHA512)).toBeUndefined();
    expect(await w.controller.scramCredential('hank', SHA256)).toBeUndefined();
  });

  it('describes every user for a null or empty list, and each named user otherwise', async () => {
    for (const users of [null, []]) {
      const all = await w.call(ApiKey.DescribeUserScramCredentials, 0, { users });
      expect(all.errorCode).toBe(ErrorCode.NONE);
      expect(all.results.map((x) => [x.user, x.credentialInfos])).toEqual([
        ['dora', [{ mechanism: SHA512, iterations: 8192 }]],
        ['gus', [{ mechanism: SHA256, iterations: 4096 }]],
      ]);
    }
    const named = await w.call(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: 'gus' }, { name: 'nobody' }] });
    expect(named.results.map((x) => [x.user, errorName(x.errorCode), x.errorMessage])).toEqual([
      ['gus', 'NONE', null],
      ['nobody', 'RESOURCE_NOT_FOUND', 'Attempt to describe a user credential that does not exist: nobody'],
    ]);
  });
});
