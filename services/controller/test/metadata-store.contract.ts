// The MetadataStore contract (src/store/metadata-store.ts) as one suite, run against
// every store: memory://, file:// (on the memory file system) and redis:// (a real
// redis-server) in metadata-store-contract.test.ts. A backend opens stores over the same
// data again and again: reopening is what a restarted controller does.

import { describe, expect, it } from 'vitest';
import { captureState, emptyState, stateFromSections, toSnapshotData } from '../src/index.ts';
import type { ControllerState, JournalBatch, LoadedMetadata, MetadataRecord, MetadataStore, SnapshotData } from '../src/index.ts';
import { encodeRecords } from '../src/store/record-codec.ts';
import { buildState } from './support/snapshot-state.ts';

/** Largest journal entry the backends are configured for, so large batches get split. */
export const CONTRACT_MAX_ENTRY_BYTES = 1024;

export interface ContractBackend {
  /** A store over this backend's data, as a (re)started controller opens it. */
  open(): Promise<MetadataStore>;
  /** Makes `store`'s next appends fail as a broken disk or a lost server would. */
  breakAppends(store: MetadataStore): Promise<void>;
  /** Undoes breakAppends for stores opened later. */
  heal(): Promise<void>;
  /** Whether batches larger than CONTRACT_MAX_ENTRY_BYTES are split (memory keeps them whole). */
  readonly splitsLargeBatches: boolean;
  cleanup(): Promise<void>;
}

export interface ContractTarget {
  readonly name: string;
  fresh(): Promise<ContractBackend>;
}

const T = Buffer.alloc(16, 7).toString('base64url');

export function rec(i: number): MetadataRecord {
  return { type: 'ProducerIdsAllocated', firstProducerId: i * 10, size: 10 };
}

export async function collect(batches: AsyncIterable<JournalBatch>): Promise<JournalBatch[]> {
  const out: JournalBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

export async function snapshotOf(loaded: LoadedMetadata): Promise<SnapshotData | null> {
  return loaded.snapshot === null ? null : toSnapshotData(await stateFromSections(loaded.snapshot.sections));
}

/** Opens a store and loads it; the snapshot's state (SnapshotData) and the batches, read fully. */
export async function openLoaded(b: ContractBackend): Promise<{ store: MetadataStore; snapshot: SnapshotData | null; upToSeq: number | null; batches: JournalBatch[] }> {
  const store = await b.open();
  const loaded = await store.load();
  const upToSeq = loaded.snapshot?.upToSeq ?? null;
  const snapshot = await snapshotOf(loaded);
  return { store, snapshot, upToSeq, batches: await collect(loaded.batches) };
}

export function defineMetadataStoreContract(target: ContractTarget): void {
  describe(`MetadataStore contract: ${target.name}`, () => {
    const withBackend = async (body: (b: ContractBackend) => Promise<void>): Promise<void> => {
      const b = await target.fresh();
      try {
        await body(b);
      } finally {
        await b.cleanup();
      }
    };

    it('starts empty; sequence numbers follow call order; appends resolve in call order; reopen keeps every batch', () =>
      withBackend(async (b) => {
        const first = await openLoaded(b);
        expect(first.snapshot).toBeNull();
        expect(first.batches).toEqual([]);
        const a = first.store;
        const resolved: number[] = [];
        const seqs = await Promise.all([0, 1, 2, 3, 4].map((i) => a.append(i === 1 ? [rec(1), rec(2)] : [rec(i * 10)]).then((s) => (resolved.push(s), s))));
        expect(seqs).toEqual([0, 1, 2, 3, 4]);
        expect(resolved).toEqual([0, 1, 2, 3, 4]);
        expect(a.stats().journalBatches).toBe(5);
        expect(a.stats().journalBytes).toBeGreaterThan(0);
        await a.close();
        const again = await openLoaded(b);
        expect(again.snapshot).toBeNull();
        expect(again.batches).toEqual([
          { seq: 0, records: [rec(0)] },
          { seq: 1, records: [rec(1), rec(2)] },
          { seq: 2, records: [rec(20)] },
          { seq: 3, records: [rec(30)] },
          { seq: 4, records: [rec(40)] },
        ]);
        expect(again.store.stats().journalBatches).toBe(5);
        expect(await again.store.append([rec(5)])).toBe(5);
        await again.store.close();
      }));

    it('loads the snapshot and only the batches after it; later snapshots replace earlier ones; older ones are ignored', () =>
      withBackend(async (b) => {
        const { store: a } = await openLoaded(b);
        for (let i = 0; i < 10; i++) await a.append([rec(i)]);
        const state1: ControllerState = { ...emptyState(), nextProducerId: 41 };
        await a.snapshot(captureState(state1), 6);
        // Batches 7..9 may still be counted (the memory store counts what it holds, the others what was appended before the snapshot began).
        const afterSnapshot = a.stats().journalBatches;
        expect(afterSnapshot).toBeLessThanOrEqual(3);
        await a.append([rec(10)]);
        expect(a.stats().journalBatches).toBe(afterSnapshot + 1);
        await a.close();

        const r1 = await openLoaded(b);
        expect(r1.upToSeq).toBe(6);
        expect(r1.snapshot).toEqual(toSnapshotData(state1));
        expect(r1.batches.map((x) => x.seq)).toEqual([7, 8, 9, 10]);
        expect(r1.batches[0]!.records).toEqual([rec(7)]);
        expect(r1.store.stats().journalBatches).toBe(4);
        // A snapshot not newer than the current one changes nothing.
        await r1.store.snapshot(captureState(emptyState()), 5);
        const state2: ControllerState = { ...emptyState(), nextProducerId: 99 };
        await r1.store.snapshot(captureState(state2), 9);
        expect(await r1.store.append([rec(11)])).toBe(11);
        await r1.store.close();

        const r2 = await openLoaded(b);
        expect(r2.upToSeq).toBe(9);
        expect(r2.snapshot).toEqual(toSnapshotData(state2));
        expect(r2.batches.map((x) => x.seq)).toEqual([10, 11]);
        await r2.store.close();
      }));

    it('keeps batches appended while a snapshot is being written', () =>
      withBackend(async (b) => {
        const { store: a } = await openLoaded(b);
        for (let i = 0; i < 5; i++) await a.append([rec(i)]);
        const big = buildState({ topics: 4, partitionsPerTopic: 8, extentsPerPartition: 6, partitionsPerObject: 4, groups: 10, offsetsPerGroup: 20, producersPerPartition: 1 });
        const snap = a.snapshot(captureState(big), 4);
        const during = await Promise.all([a.append([rec(5)]), a.append([rec(6)])]);
        await snap;
        expect(during).toEqual([5, 6]);
        await a.close();
        const r = await openLoaded(b);
        expect(r.upToSeq).toBe(4);
        expect(r.snapshot).toEqual(toSnapshotData(big));
        expect(r.batches).toEqual([
          { seq: 5, records: [rec(5)] },
          { seq: 6, records: [rec(6)] },
        ]);
        await r.store.close();
      }));

    it('round-trips a large state through a snapshot, read back section by section', () =>
      withBackend(async (b) => {
        const { store: a } = await openLoaded(b);
        await a.append([rec(0)]);
        const big = buildState({ topics: 12, partitionsPerTopic: 16, extentsPerPartition: 10, partitionsPerObject: 4, groups: 40, offsetsPerGroup: 100, producersPerPartition: 2 });
        await a.snapshot(captureState(big), 0);
        await a.close();
        const r = await openLoaded(b);
        expect(r.snapshot).toEqual(toSnapshotData(big));
        expect(r.batches).toEqual([]);
        expect(await r.store.append([rec(1)])).toBe(1);
        await r.store.close();
      }));

    it('a failed append fails every later one; a reopened store holds only what was acknowledged', () =>
      withBackend(async (b) => {
        const { store: a } = await openLoaded(b);
        expect(await a.append([rec(0)])).toBe(0);
        expect(await a.append([rec(1)])).toBe(1);
        await b.breakAppends(a);
        await expect(a.append([rec(2)])).rejects.toThrow();
        await b.heal();
        // The backend works again, the store stays failed: it must not keep a batch after one it lost.
        await expect(a.append([rec(3)])).rejects.toThrow();
        await expect(a.append([rec(4)])).rejects.toThrow();
        await a.close().catch(() => undefined);
        const r = await openLoaded(b);
        expect(r.batches.slice(0, 2)).toEqual([
          { seq: 0, records: [rec(0)] },
          { seq: 1, records: [rec(1)] },
        ]);
        // The failed batch may have become durable (its outcome was unknown); nothing after it did.
        expect(r.batches.map((x) => x.seq)).not.toContain(3);
        const next = r.batches.length;
        expect(await r.store.append([rec(5)])).toBe(next);
        await r.store.close();
      }));

    it('stores a batch larger than one entry whole, split at record boundaries, and resolves with its last sequence number', () =>
      withBackend(async (b) => {
        const { store: a } = await openLoaded(b);
        expect(await a.append([rec(0)])).toBe(0);
        const big: MetadataRecord[] = Array.from({ length: 40 }, (_, i) => ({ type: 'ConfigsAltered', topicId: T, configs: { 'retention.ms': String(i).padStart(60, '0') } }));
        expect(encodeRecords(big).length).toBeGreaterThan(2 * CONTRACT_MAX_ENTRY_BYTES);
        const seq = await a.append(big);
        const after = await a.append([rec(1)]);
        expect(after).toBe(seq + 1);
        await a.close();
        const r = await openLoaded(b);
        const bigBatches = r.batches.slice(1, -1);
        if (b.splitsLargeBatches) expect(bigBatches.length).toBeGreaterThan(2);
        expect(bigBatches.flatMap((x) => x.records)).toEqual(big);
        expect(bigBatches.at(-1)!.seq).toBe(seq);
        expect(r.batches.at(-1)).toEqual({ seq: after, records: [rec(1)] });
        await r.store.close();
      }));
  });
}
