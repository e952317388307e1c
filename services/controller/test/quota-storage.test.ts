// Client quotas survive a controller restart on each durable store — their records through
// the journal's codec, and loaded from a snapshot (sections small enough that the entities
// span several) with later changes replayed after it — on the file journal and a real Redis.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { RedisServer } from '@stratus/controller/testing';
import { Controller, FileJournalStore, RedisMetadataStore, fromSnapshotData, toSnapshotData } from '../src/index.ts';
import type { ClientQuotaEntry, MetadataRecord, MetadataStore, QuotaAlteration } from '../src/index.ts';
import { decodeRecords, encodeRecords } from '../src/store/record-codec.ts';

const START_MS = 1_700_000_000_000;

function alterations(n: number): QuotaAlteration[] {
  return Array.from({ length: n }, (_, i): QuotaAlteration => ({
    entity: i % 3 === 0 ? [{ entityType: 'user', entityName: `u${i}` }, { entityType: 'client-id', entityName: i % 2 === 0 ? null : `c${i}` }] : [{ entityType: i % 3 === 1 ? 'client-id' : 'user', entityName: `e${i}` }],
    ops: [
      { key: 'producer_byte_rate', value: 1000 + i, remove: false },
      { key: 'request_percentage', value: 10 + i / 4, remove: false },
    ],
  }));
}

async function openController(store: MetadataStore): Promise<Controller> {
  return Controller.open({ store, objectStore: new MemoryObjectStore(), clock: new ManualClock(START_MS), random: new SeededRandom(1), onBackgroundError: () => undefined });
}

function sorted(list: readonly ClientQuotaEntry[] | undefined): string[] {
  return (list ?? []).map((e) => JSON.stringify(e)).sort();
}

async function restartKeepsQuotas(openStore: () => Promise<MetadataStore>): Promise<void> {
  const all = alterations(25);
  let c = await openController(await openStore());
  expect((await c.alterClientQuotas(all, false)).every((r) => r.errorCode === 0)).toBe(true);
  const stored = c.metadata().quotas;
  expect(stored).toHaveLength(25);
  await c.close();

  c = await openController(await openStore());
  expect(sorted(c.metadata().quotas)).toEqual(sorted(stored));
  // From a snapshot, then changes in the journal after it: one key removed everywhere, one entity emptied.
  await c.snapshotNow();
  await c.alterClientQuotas(all.map((a) => ({ entity: a.entity, ops: [{ key: 'request_percentage', value: 0, remove: true }] })), false);
  await c.alterClientQuotas([{ entity: all[0]!.entity, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }] }], false);
  await c.close();

  c = await openController(await openStore());
  const left = c.metadata().quotas ?? [];
  expect(left).toHaveLength(24);
  expect(left.every((e) => Object.keys(e.values).join() === 'producer_byte_rate')).toBe(true);
  expect(sorted([...fromSnapshotData(c.snapshotData()).quotas.values()])).toEqual(sorted(left));
  expect(toSnapshotData(fromSnapshotData(c.snapshotData())).quotas).toHaveLength(24);
  await c.close();
}

describe('client quota storage', () => {
  it('writes quota records into journal entries and reads them back unchanged', () => {
    const records: MetadataRecord[] = [
      {
        type: 'ClientQuotasAltered',
        changes: [
          [[['client-id', 'x']], 'producer_byte_rate', 1024],
          [[['client-id', null], ['user', 'alice']], 'request_percentage', null],
        ],
      },
    ];
    expect(decodeRecords(encodeRecords(records))).toEqual(records);
  });

  it('survives restarts on the file journal (journal replay and snapshot)', async () => {
    const fs = new MemoryFileSystem();
    await restartKeepsQuotas(() => FileJournalStore.open({ dir: '/meta', fs, clock: new ManualClock(START_MS), wal: { segmentBytes: 4096 }, snapshot: { sectionEntries: 10 } }));
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
      await restartKeepsQuotas(() => RedisMetadataStore.open({ epoch: 0, url: `${redis.url}?prefix=quotas:` }));
    });
  });
});
