// Kafka ACLs survive a controller restart on each durable store — their records through
// the journal's codec, and loaded from a snapshot (sections small enough that the ACLs span several)
// with later changes replayed after it — on the embedded file journal and on a real Redis.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { RedisServer } from '@stratus/controller/testing';
import { AclOp, Controller, FileJournalStore, MATCH_ALL_FILTER, PatternType, Permission, RedisMetadataStore, ResourceType, fromSnapshotData, toSnapshotData } from '../src/index.ts';
import type { AclBinding, MetadataRecord, MetadataStore } from '../src/index.ts';
import { aclToTuple } from '../src/acls/acl-model.ts';
import { decodeRecords, encodeRecords } from '../src/store/record-codec.ts';

const START_MS = 1_700_000_000_000;

function acls(n: number): AclBinding[] {
  return Array.from({ length: n }, (_, i): AclBinding => ({
    resourceType: i % 2 === 0 ? ResourceType.TOPIC : ResourceType.GROUP,
    resourceName: `r-${i}`,
    patternType: i % 3 === 0 ? PatternType.PREFIXED : PatternType.LITERAL,
    principal: `User:u${i % 5}`,
    host: i % 4 === 0 ? '10.0.0.1' : '*',
    operation: i % 2 === 0 ? AclOp.WRITE : AclOp.READ,
    permission: i % 7 === 0 ? Permission.DENY : Permission.ALLOW,
  }));
}

async function openController(store: MetadataStore): Promise<Controller> {
  return Controller.open({ store, objectStore: new MemoryObjectStore(), clock: new ManualClock(START_MS), random: new SeededRandom(1), onBackgroundError: () => undefined });
}

function sorted(list: readonly AclBinding[] | undefined): string[] {
  return (list ?? []).map((a) => JSON.stringify(a)).sort();
}

async function restartKeepsAcls(openStore: () => Promise<MetadataStore>): Promise<void> {
  const all = acls(45);
  let c = await openController(await openStore());
  expect((await c.createAcls(all)).every((r) => r.errorCode === 0)).toBe(true);
  await c.close();

  c = await openController(await openStore());
  expect(sorted(c.metadata().acls)).toEqual(sorted(all));
  // From a snapshot, then a deletion in the journal after it.
  await c.snapshotNow();
  const [deleted] = await c.deleteAcls([{ ...MATCH_ALL_FILTER, resourceType: ResourceType.GROUP }]);
  expect(deleted!.acls).toHaveLength(22);
  await c.close();

  c = await openController(await openStore());
  const topicsOnly = all.filter((a) => a.resourceType === ResourceType.TOPIC);
  expect(sorted(c.metadata().acls)).toEqual(sorted(topicsOnly));
  expect(sorted((await c.describeAcls(MATCH_ALL_FILTER)).acls)).toEqual(sorted(topicsOnly));
  // The plain snapshot form round-trips them too.
  expect(sorted([...fromSnapshotData(c.snapshotData()).acls.values()])).toEqual(sorted(topicsOnly));
  expect(toSnapshotData(fromSnapshotData(c.snapshotData())).acls).toHaveLength(topicsOnly.length);
  await c.close();
}

describe('ACL storage', () => {
  it('writes ACL records into journal entries and reads them back unchanged', () => {
    // Controller.close() snapshots, so restarts below mostly load snapshots; this is the journal's own path.
    const records: MetadataRecord[] = [
      { type: 'AclsCreated', acls: acls(3).map(aclToTuple) },
      { type: 'AclsDeleted', acls: acls(1).map(aclToTuple) },
    ];
    expect(decodeRecords(encodeRecords(records))).toEqual(records);
  });

  it('survives restarts on the file journal (journal replay and snapshot)', async () => {
    const fs = new MemoryFileSystem();
    await restartKeepsAcls(() => FileJournalStore.open({ dir: '/meta', fs, clock: new ManualClock(START_MS), wal: { segmentBytes: 4096 }, snapshot: { sectionEntries: 10 } }));
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
      await restartKeepsAcls(() => RedisMetadataStore.open({ epoch: 0, url: `${redis.url}?prefix=acls:` }));
    });
  });
});
