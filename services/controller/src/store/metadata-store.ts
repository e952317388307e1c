// Where controller state is made durable: an event-sourced journal of record batches
// plus snapshots. The controller owns the state and decides every record; a store only
// keeps them. Implementations: FileJournalStore (embedded mode, file:// data dirs),
// RedisMetadataStore (a controller cluster: redis://, writes fenced by the controller
// epoch), MemoryMetadataStore (tests). One contract suite runs against all three
// (test/metadata-store.contract.ts).
//
// Contract:
// - `load()` is called once, before any append. It returns the latest snapshot (or
//   none) and the batches after it, in sequence order.
// - `append(records)` persists one batch and resolves with its sequence number once it
//   is durable. Sequence numbers increase in call order; appends become durable and
//   resolve in call order. Once an append fails, every later append must fail too: a
//   store never keeps a batch whose predecessors it lost, because replaying records on
//   a state that lacks earlier ones is not the state the controller had.
// - A batch is kept whole or not at all when it fits one journal entry; a larger batch
//   may be split at record boundaries and a crash may keep a prefix of it. That is safe
//   because every record is valid on the state its predecessors built, and the caller
//   was not answered yet.
// - `snapshot(source, upToSeq)` durably stores `source` as the state after every batch
//   with seq <= upToSeq, then may drop those batches. `source` is an immutable capture
//   (captureState: the caller keeps changing its live state, never the capture), so a
//   store may read its sections at its own pace, and should: encoding a large state in
//   one go would hold up the event loop that serves Kafka. Snapshots are taken one at a
//   time. A failed snapshot drops nothing: the journal still holds every batch.
// - `load()` hands the snapshot back as sections, in order, to be read once.

import type { MetadataRecord } from '../state/records.ts';
import type { SnapshotSection, SnapshotSource } from '../state/snapshot-sections.ts';

export interface JournalBatch {
  readonly seq: number;
  readonly records: readonly MetadataRecord[];
}

export interface LoadedMetadata {
  /** The latest snapshot, or null when none was taken yet. Its sections are read lazily (stateFromSections builds the state). */
  readonly snapshot: { readonly upToSeq: number; readonly sections: AsyncIterable<SnapshotSection> } | null;
  /** Batches after the snapshot, in sequence order (read lazily). */
  readonly batches: AsyncIterable<JournalBatch>;
  /** What recovery found worth telling an operator (a torn journal tail cut, ...). */
  readonly notes: readonly string[];
}

export interface MetadataStoreStats {
  /** Bytes of journal appended (or replayed) since the last snapshot: what a snapshot would let go. */
  readonly journalBytes: number;
  /** Batches appended (or replayed) since the last snapshot. */
  readonly journalBatches: number;
}

export interface MetadataStore {
  /** For logs: where the state lives (no credentials). */
  readonly url: string;
  load(): Promise<LoadedMetadata>;
  append(records: readonly MetadataRecord[]): Promise<number>;
  snapshot(source: SnapshotSource, upToSeq: number): Promise<void>;
  stats(): MetadataStoreStats;
  /** Waits for pending appends, then releases files and connections. */
  close(): Promise<void>;
}

export class MetadataStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetadataStoreError';
  }
}
