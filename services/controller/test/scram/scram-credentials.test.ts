// SCRAM credentials in the controller: Kafka's AlterUserScramCredentials and
// DescribeUserScramCredentials decisions (ScramControlManager, ScramImage) through the
// Controller in process and through GrpcControllerClient over loopback alike; the broker's
// lookup; the SCRAM version brokers drop cached credentials by; and storage — records
// through the journal codec, restarts on the file journal and a real Redis (journal replay
// and snapshot), never a password or salted password anywhere in what is stored.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { ErrorCode, errorName } from '@stratus/protocol';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { RedisServer } from '@stratus/controller/testing';
import { Controller, ControllerGrpcServer, FileJournalStore, GrpcControllerClient, RedisMetadataStore, ScramMechanismCode, fromSnapshotData, scramKeys, toSnapshotData } from '../../src/index.ts';
import type { ControllerApi, KnownScramMechanismCode, MetadataRecord, MetadataStore, ScramUpsertion } from '../../src/index.ts';
import { scramToTuple } from '../../src/scram/scram-model.ts';
import { decodeRecords, encodeRecords } from '../../src/store/record-codec.ts';
import { openHarness } from '../support/helpers.ts';
import type { HarnessOptions } from '../support/helpers.ts';

const SHA256 = ScramMechanismCode.SCRAM_SHA_256;
const SHA512 = ScramMechanismCode.SCRAM_SHA_512;
const PASSWORD = 'pa55-w0rd-that-must-not-be-stored';

/** An upsertion as a broker forwards it: keys derived from the salted password, which goes no further. */
function upsertion(user: string, mechanism: number = SHA512, iterations = 4096, password = PASSWORD): ScramUpsertion {
  const salt = randomBytes(32);
  const known = (mechanism === SHA256 || mechanism === SHA512 ? mechanism : SHA512) as KnownScramMechanismCode;
  const salted = pbkdf2Sync(password, salt, Math.min(Math.max(iterations, 1), 20_000), known === SHA256 ? 32 : 64, known === SHA256 ? 'sha256' : 'sha512');
  return { user, mechanism, iterations, salt, ...scramKeys(known, salted) };
}

const names = (rs: readonly { user: string; errorCode: number }[]): string[] => rs.map((r) => `${r.user}:${errorName(r.errorCode)}`);

type Subject = { api: ControllerApi; close: () => Promise<void> };

const SUBJECTS: [string, (o?: HarnessOptions) => Promise<Subject>][] = [
  [
    'in process',
    async (o) => {
      const h = await openHarness(o);
      return { api: h.controller, close: () => h.controller.close() };
    },
  ],
  [
    'over gRPC',
    async (o) => {
      const h = await openHarness(o);
      const server = await ControllerGrpcServer.start({ api: h.controller, port: 0 });
      const client = await GrpcControllerClient.connect({ target: server.address, random: new SeededRandom(7) });
      return {
        api: client,
        close: async () => {
          await client.close();
          await server.close();
          await h.controller.close();
        },
      };
    },
  ],
];

describe.each(SUBJECTS)('SCRAM credentials (%s)', (_name, openSubject) => {
  const opened: Subject[] = [];
  async function open(o?: HarnessOptions): Promise<ControllerApi> {
    const s = await openSubject(o);
    opened.push(s);
    return s.api;
  }
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it('stores, describes, looks up, replaces and deletes credentials as Kafka answers', async () => {
    const api = await open();
    const before = api.metadata().scramVersion;
    const alice = upsertion('alice', SHA512, 8192);
    expect(names(await api.alterScramCredentials([], [alice, upsertion('bob', SHA256)]))).toEqual(['alice:NONE', 'bob:NONE']);
    expect(api.metadata().scramVersion).not.toBe(before);

    const stored = await api.scramCredential('alice', SHA512);
    expect(stored).toEqual({ user: 'alice', mechanism: SHA512, iterations: 8192, salt: alice.salt, storedKey: alice.storedKey, serverKey: alice.serverKey });
    expect(await api.scramCredential('alice', SHA256)).toBeUndefined();
    expect(await api.scramCredential('nobody', SHA512)).toBeUndefined();
    expect(await api.scramCredential('alice', 7)).toBeUndefined();

    // A second mechanism for alice in a request of its own (one request may change a user once).
    await api.alterScramCredentials([], [upsertion('alice', SHA256)]);
    expect(await api.describeScramCredentials(null)).toEqual([
      { user: 'alice', errorCode: 0, errorMessage: null, credentials: [{ mechanism: SHA256, iterations: 4096 }, { mechanism: SHA512, iterations: 8192 }] },
      { user: 'bob', errorCode: 0, errorMessage: null, credentials: [{ mechanism: SHA256, iterations: 4096 }] },
    ]);
    expect(await api.describeScramCredentials([])).toHaveLength(2);
    expect(await api.describeScramCredentials(['bob', 'carol', 'alice', 'carol', 'bob'])).toEqual([
      { user: 'bob', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: bob', credentials: [] },
      { user: 'carol', errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request: carol', credentials: [] },
      { user: 'alice', errorCode: 0, errorMessage: null, credentials: [{ mechanism: SHA256, iterations: 4096 }, { mechanism: SHA512, iterations: 8192 }] },
    ]);
    expect(await api.describeScramCredentials(['carol'])).toEqual([
      { user: 'carol', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: carol', credentials: [] },
    ]);

    // Replacing changes the keys (a new password) and the SCRAM version.
    const versionBefore = api.metadata().scramVersion;
    const replaced = upsertion('alice', SHA512, 4096, 'another password');
    await api.alterScramCredentials([], [replaced]);
    expect((await api.scramCredential('alice', SHA512))?.storedKey).toEqual(replaced.storedKey);
    expect(api.metadata().scramVersion).toBeGreaterThan(versionBefore!);

    expect(names(await api.alterScramCredentials([{ user: 'alice', mechanism: SHA512 }], []))).toEqual(['alice:NONE']);
    expect(await api.scramCredential('alice', SHA512)).toBeUndefined();
    expect((await api.describeScramCredentials(['alice']))[0]!.credentials).toEqual([{ mechanism: SHA256, iterations: 4096 }]);
  });

  it("refuses what Kafka's ScramControlManager refuses, per user, applying the rest", async () => {
    const api = await open();
    await api.alterScramCredentials([], [upsertion('held')]);
    const results = await api.alterScramCredentials(
      [
        { user: 'held', mechanism: SHA512 }, // fine
        { user: 'missing', mechanism: SHA512 }, // RESOURCE_NOT_FOUND
        { user: 'twice', mechanism: SHA256 },
        { user: 'twice', mechanism: SHA512 }, // DUPLICATE_RESOURCE (the first was missing, but is refused as a duplicate only if valid)
        { user: '', mechanism: SHA512 }, // UNACCEPTABLE_CREDENTIAL
        { user: 'mech', mechanism: 0 }, // UNSUPPORTED_SASL_MECHANISM
      ],
      [
        upsertion('ok'),
        upsertion('few', SHA512, 4095),
        upsertion('many', SHA256, 16385),
        upsertion('edge-high', SHA256, 16384),
        upsertion('both', SHA256),
        upsertion('both', SHA512),
        upsertion('held', SHA256), // held was deleted above in this request: DUPLICATE_RESOURCE
        upsertion('three', 3),
      ],
    );
    const byUser = Object.fromEntries(results.map((r) => [r.user, [errorName(r.errorCode), r.errorMessage]]));
    expect(byUser).toEqual({
      ok: ['NONE', null],
      'edge-high': ['NONE', null],
      missing: ['RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist'],
      twice: ['RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist'],
      '': ['UNACCEPTABLE_CREDENTIAL', 'Username must not be empty'],
      mech: ['UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism'],
      few: ['UNACCEPTABLE_CREDENTIAL', 'Too few iterations'],
      many: ['UNACCEPTABLE_CREDENTIAL', 'Too many iterations'],
      both: ['DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request'],
      held: ['DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request'],
      three: ['UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism'],
    });
    // Kafka's order: deletions, upsertions, then errors.
    expect(results.slice(0, 2).map((r) => r.user)).toEqual(['ok', 'edge-high']);
    // The refused changes left 'held' as it was (its deletion was one of a duplicate pair).
    expect(await api.scramCredential('held', SHA512)).toBeDefined();
    expect((await api.describeScramCredentials(null)).map((r) => r.user)).toEqual(['edge-high', 'held', 'ok']);

    // Two valid deletions of one user: DUPLICATE_RESOURCE, neither applied.
    await api.alterScramCredentials([], [upsertion('pair', SHA256)]);
    await api.alterScramCredentials([], [upsertion('pair', SHA512)]);
    expect(names(await api.alterScramCredentials([{ user: 'pair', mechanism: SHA256 }, { user: 'pair', mechanism: SHA512 }], []))).toEqual(['pair:DUPLICATE_RESOURCE']);
    expect((await api.describeScramCredentials(['pair']))[0]!.credentials).toHaveLength(2);

    // Keys of the wrong size for the mechanism never get stored.
    expect(names(await api.alterScramCredentials([], [{ ...upsertion('short', SHA256), mechanism: SHA512 }]))).toEqual(['short:UNACCEPTABLE_CREDENTIAL']);
  });

  it('bounds the number stored (maxScramCredentials): POLICY_VIOLATION beyond, replacements still allowed', async () => {
    const api = await open({ maxScramCredentials: 2 });
    expect(names(await api.alterScramCredentials([], [upsertion('a'), upsertion('b'), upsertion('c')]))).toEqual(['a:NONE', 'b:NONE', 'c:POLICY_VIOLATION']);
    expect(names(await api.alterScramCredentials([], [upsertion('a', SHA512, 5000)]))).toEqual(['a:NONE']);
    // A deletion in the same request makes room.
    expect(names(await api.alterScramCredentials([{ user: 'b', mechanism: SHA512 }], [upsertion('c')]))).toEqual(['b:NONE', 'c:NONE']);
  });
});

describe('SCRAM credential storage', () => {
  const START_MS = 1_700_000_000_000;
  const openController = (store: MetadataStore): Promise<Controller> =>
    Controller.open({ store, objectStore: new MemoryObjectStore(), clock: new ManualClock(START_MS), random: new SeededRandom(1), onBackgroundError: () => undefined });

  it('writes SCRAM records into journal entries and reads them back unchanged, without the password', () => {
    const u = upsertion('alice');
    const records: MetadataRecord[] = [
      { type: 'ScramCredentialsUpserted', credentials: [scramToTuple({ ...u, mechanism: SHA512 })] },
      { type: 'ScramCredentialsDeleted', credentials: [['alice', SHA256]] },
    ];
    const bytes = encodeRecords(records);
    expect(decodeRecords(bytes)).toEqual(records);
    expect(bytes.toString('utf8')).not.toContain(PASSWORD);
  });

  async function restartKeepsCredentials(openStore: () => Promise<MetadataStore>): Promise<void> {
    const users = Array.from({ length: 25 }, (_, i) => upsertion(`user-${i}`, i % 2 === 0 ? SHA256 : SHA512, 4096 + i));
    let c = await openController(await openStore());
    expect((await c.alterScramCredentials([], users)).every((r) => r.errorCode === 0)).toBe(true);
    const versionBefore = c.metadata().scramVersion;
    await c.close();

    c = await openController(await openStore());
    expect(await c.describeScramCredentials(null)).toHaveLength(25);
    // The SCRAM version survives the restart (journal or snapshot): brokers keep what they cached.
    expect(c.metadata().scramVersion).toBe(versionBefore);
    await c.snapshotNow();
    await c.alterScramCredentials([{ user: 'user-0', mechanism: SHA256 }], [upsertion('late', SHA512)]);
    await c.close();

    c = await openController(await openStore());
    const described = await c.describeScramCredentials(null);
    expect(described.map((r) => r.user)).toContain('late');
    expect(described.map((r) => r.user)).not.toContain('user-0');
    const user3 = users[3]!;
    expect(await c.scramCredential('user-3', SHA512)).toEqual({ user: 'user-3', mechanism: SHA512, iterations: 4099, salt: user3.salt, storedKey: user3.storedKey, serverKey: user3.serverKey });
    const versionAfter = c.metadata().scramVersion;
    expect(versionAfter).toBeGreaterThan(versionBefore!);
    const data = c.snapshotData();
    expect(fromSnapshotData(data).scramVersion).toBe(versionAfter);
    expect(JSON.stringify(data)).not.toContain(PASSWORD);
    expect(fromSnapshotData(data).scram.size).toBe(25);
    expect(toSnapshotData(fromSnapshotData(data)).scram).toHaveLength(25);
    await c.close();
  }

  it('survives restarts on the file journal (journal replay and snapshot)', async () => {
    const fs = new MemoryFileSystem();
    await restartKeepsCredentials(() => FileJournalStore.open({ dir: '/meta', fs, clock: new ManualClock(START_MS), wal: { segmentBytes: 4096 }, snapshot: { sectionEntries: 10 } }));
  });

  describe('on Redis', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      await redis?.cleanup();
    });

    it('survives restarts (journal replay and snapshot)', async () => {
      await restartKeepsCredentials(() => RedisMetadataStore.open({ epoch: 0, url: `${redis.url}?prefix=scram:` }));
    });
  });
});
