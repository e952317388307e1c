// A metadata store in memory, for tests: batches and the snapshot are kept encoded (the
// journal's codec; the snapshot's sections as JSON strings), so nothing is shared with
// the controller's state and the codecs are exercised. `reopen()` gives a new store over
// the same data, as a restarted process would see it; `failAppends()` makes appends
// fail, as a broken disk would. Not durable across processes.

import type { MetadataRecord } from '../state/records.ts';
import type { SnapshotSection, SnapshotSource } from '../state/snapshot-sections.ts';
import { MetadataStoreError } from './metadata-store.ts';
import type { JournalBatch, LoadedMetadata, MetadataStore, MetadataStoreStats } from './metadata-store.ts';
import { decodeRecords, encodeRecords } from './record-codec.ts';

interface MemoryData {
  snapshot: { readonly upToSeq: number; readonly sections: readonly string[] } | null;
  batches: { readonly seq: number; readonly bytes: Buffer }[];
  nextSeq: number;
}

export class MemoryMetadataStore implements MetadataStore {
  readonly url = 'memory://';
  private readonly data: MemoryData;
  private failure: Error | undefined;
  private closed = false;
  private journalBytes = 0;
  private journalBatches = 0;
  /** Appends that completed (tests count writes with it). */
  appends = 0;

  constructor(data?: MemoryData) {
    this.data = data ?? { snapshot: null, batches: [], nextSeq: 0 };
  }

  /** A new store over the same data: what a restarted controller would load. */
  reopen(): MemoryMetadataStore {
    this.closed = true;
    return new MemoryMetadataStore(this.data);
  }

  /** Every later append rejects with `error` (the store stays failed, as the contract requires). */
  failAppends(error: Error = new MetadataStoreError('injected append failure')): void {
    this.failure = error;
  }

  /** Batches held after the snapshot. */
  get journalLength(): number {
    return this.data.batches.length;
  }

  async load(): Promise<LoadedMetadata> {
    const snap = this.data.snapshot;
    async function* sections(encoded: readonly string[]): AsyncIterable<SnapshotSection> {
      for (const json of encoded) yield JSON.parse(json) as SnapshotSection;
    }
    const snapshot = snap === null ? null : { upToSeq: snap.upToSeq, sections: sections(snap.sections) };
    const batches = [...this.data.batches];
    this.journalBytes = batches.reduce((n, b) => n + b.bytes.length, 0);
    this.journalBatches = batches.length;
    async function* replay(): AsyncIterable<JournalBatch> {
      for (const b of batches) yield { seq: b.seq, records: decodeRecords(b.bytes) };
    }
    return { snapshot, batches: replay(), notes: [] };
  }

  append(records: readonly MetadataRecord[]): Promise<number> {
    if (this.closed) return Promise.reject(new MetadataStoreError('store is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const bytes = encodeRecords(records);
    const seq = this.data.nextSeq++;
    this.data.batches.push({ seq, bytes });
    this.journalBytes += bytes.length;
    this.journalBatches++;
    // Resolve later, like a real store, so callers cannot rely on synchronous durability.
    return new Promise((resolve) =>
      setImmediate(() => {
        this.appends++;
        resolve(seq);
      }),
    );
  }

  async snapshot(source: SnapshotSource, upToSeq: number): Promise<void> {
    if (this.data.snapshot !== null && upToSeq <= this.data.snapshot.upToSeq) return;
    const sections: string[] = [];
    for (const section of source.sections()) sections.push(JSON.stringify(section));
    this.data.snapshot = { upToSeq, sections };
    this.data.batches = this.data.batches.filter((b) => b.seq > upToSeq);
    this.journalBytes = this.data.batches.reduce((n, b) => n + b.bytes.length, 0);
    this.journalBatches = this.data.batches.length;
  }

  stats(): MetadataStoreStats {
    return { journalBytes: this.journalBytes, journalBatches: this.journalBatches };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
