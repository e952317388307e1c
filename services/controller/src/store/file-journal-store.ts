// The metadata store of embedded mode (`file://` data dirs): a journal of record
// batches in the project's WAL (segments with CRCs, group commit, torn-tail recovery)
// plus one snapshot file. Layout under `dir`:
//   journal/               WAL segments: one entry per batch, encoded by record-codec.ts
//   controller.snapshot    the latest snapshot (snapshot-file.ts)
//
// A snapshot is written durably before the journal is trimmed below it, so at every
// moment snapshot + journal hold every acknowledged batch; a snapshot that fails trims
// nothing. Snapshots are streamed from the controller's immutable capture in chunks of
// `snapshot.chunkBytes`, yielding to the event loop between chunks (the process serves
// Kafka meanwhile). On load the snapshot is read section by section and the journal
// replayed from the batch after it. Both go through the injected FileSystem, so tests
// crash and corrupt them with @stratus/wal/testing.
//
// Not multi-process: one controller owns the directory (embedded mode has one).

import { join } from 'node:path';
import type { Clock } from '@stratus/runtime';
import { nodeFileSystem, openWal } from '@stratus/wal';
import type { FileSystem, RecoveryReport, WalOptions, WalStats, WriteAheadLog } from '@stratus/wal';
import type { MetadataRecord } from '../state/records.ts';
import type { SnapshotSource } from '../state/snapshot-sections.ts';
import { SNAPSHOT_SECTION_ENTRIES } from '../state/snapshot-sections.ts';
import { MetadataStoreError } from './metadata-store.ts';
import type { JournalBatch, LoadedMetadata, MetadataStore, MetadataStoreStats } from './metadata-store.ts';
import { decodeRecords, encodeRecords } from './record-codec.ts';
import { readSnapshotFile, writeSnapshotFile } from './snapshot-file.ts';
import type { SnapshotWriteOptions } from './snapshot-file.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

export const JOURNAL_DIR_NAME = 'journal';

/** WAL settings for the journal: metadata batches are small, so segments are smaller than a broker's. */
export const JOURNAL_WAL_DEFAULTS = {
  // Trim deletes whole segments: the journal holds up to one segment beyond the
  // snapshot interval, so segments are kept well below the default interval (16 MiB).
  segmentBytes: 8 * MiB,
  // One batch is one WAL entry unless larger; bigger batches are split (see append).
  maxRecordBytes: 4 * MiB,
  // No capacity wait: a WAL append that times out as 'full' lets later appends through,
  // and the store must never keep a batch after one it lost. The journal is bounded by
  // the controller's snapshot interval instead (the trim follows each snapshot).
  capacityBytes: 2 ** 50,
} as const;

/** How snapshots are streamed; every field has a default. */
export interface JournalSnapshotOptions {
  /**
   * Bytes of snapshot encoded between two yields to the event loop, and the size of each
   * write and of each read block on load. Default 256 KiB (~2 ms of encoding).
   */
  readonly chunkBytes?: number;
  /** Most entries (extents, offsets, ...) per snapshot section, i.e. per line of the file. Default 1,000. */
  readonly sectionEntries?: number;
  /** How to let other work run between chunks. Default: one setImmediate turn (tests count calls). */
  readonly yieldToEventLoop?: () => Promise<void>;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function snapshotOptions(o: JournalSnapshotOptions = {}): SnapshotWriteOptions {
  const int = (name: string, v: number | undefined, fallback: number, min: number, max: number): number => {
    const value = v ?? fallback;
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new RangeError(`FileJournalStore option snapshot.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
    return value;
  };
  return {
    chunkBytes: int('chunkBytes', o.chunkBytes, 256 * KiB, 1 * KiB, 64 * MiB),
    sectionEntries: int('sectionEntries', o.sectionEntries, SNAPSHOT_SECTION_ENTRIES, 1, 1_000_000),
    yieldToEventLoop: o.yieldToEventLoop ?? immediate,
  };
}

/** The WAL options a caller may tune; capacity is fixed (see JOURNAL_WAL_DEFAULTS). */
export type JournalWalOptions = Pick<WalOptions, 'segmentBytes' | 'flushMaxBytes' | 'flushMaxDelayMs' | 'maxRecordBytes'>;

export interface FileJournalStoreOptions {
  /** Data directory; created when missing. */
  readonly dir: string;
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  /** WAL options of the journal; dir, fs and clock come from above. */
  readonly wal?: JournalWalOptions;
  readonly snapshot?: JournalSnapshotOptions;
}

export class FileJournalStore implements MetadataStore {
  readonly url: string;
  private readonly fs: FileSystem;
  private readonly dir: string;
  private readonly wal: WriteAheadLog;
  private readonly recovery: RecoveryReport;
  private readonly maxEntryBytes: number;
  private readonly snapshotOptions: SnapshotWriteOptions;
  private loaded = false;
  private journalBytes = 0;
  private journalBatches = 0;
  private snapshotChain: Promise<void> = Promise.resolve();
  private lastSnapshotSeq = -1;
  /** The first append failure; every later append fails with it (see the store contract). */
  private failure: Error | undefined;

  private constructor(options: FileJournalStoreOptions, fs: FileSystem, wal: WriteAheadLog, recovery: RecoveryReport, maxEntryBytes: number, snapshot: SnapshotWriteOptions) {
    this.url = `file://${options.dir}`;
    this.fs = fs;
    this.dir = options.dir;
    this.wal = wal;
    this.recovery = recovery;
    this.maxEntryBytes = maxEntryBytes;
    this.snapshotOptions = snapshot;
  }

  /** Opens (creating when missing) the store in `options.dir`, recovering the journal's durable prefix. */
  static async open(options: FileJournalStoreOptions): Promise<FileJournalStore> {
    const snapshot = snapshotOptions(options.snapshot);
    const fs = options.fs ?? nodeFileSystem;
    await fs.mkdir(options.dir);
    const walOptions: WalOptions = {
      segmentBytes: JOURNAL_WAL_DEFAULTS.segmentBytes,
      ...options.wal,
      capacityBytes: JOURNAL_WAL_DEFAULTS.capacityBytes,
      dir: join(options.dir, JOURNAL_DIR_NAME),
      fs,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    };
    const segmentRoom = (walOptions.segmentBytes ?? JOURNAL_WAL_DEFAULTS.segmentBytes) - 64;
    const maxEntryBytes = walOptions.maxRecordBytes ?? Math.min(JOURNAL_WAL_DEFAULTS.maxRecordBytes, segmentRoom);
    const { wal, recovery } = await openWal({ ...walOptions, maxRecordBytes: maxEntryBytes });
    return new FileJournalStore(options, fs, wal, recovery, maxEntryBytes, snapshot);
  }

  async load(): Promise<LoadedMetadata> {
    if (this.loaded) throw new MetadataStoreError('load() may be called once, before any append');
    this.loaded = true;
    const snapshot = await readSnapshotFile(this.fs, this.dir, this.snapshotOptions.chunkBytes);
    const { firstSeq, nextSeq } = this.wal.stats();
    const fromSeq = snapshot === null ? 0 : snapshot.upToSeq + 1;
    if (snapshot !== null) this.lastSnapshotSeq = snapshot.upToSeq;
    // Both checks guard against a directory tampered with or partly restored: the store
    // itself never trims the journal past its snapshot.
    if (firstSeq > fromSeq) {
      throw new MetadataStoreError(
        `journal in ${this.dir} starts at batch ${firstSeq}, but ${snapshot === null ? 'there is no snapshot' : `the snapshot covers only up to ${snapshot.upToSeq}`}: batches are missing`,
      );
    }
    if (nextSeq < fromSeq) throw new MetadataStoreError(`journal in ${this.dir} ends at batch ${nextSeq - 1}, before the snapshot's ${snapshot?.upToSeq}: the journal was lost`);
    const notes = this.recovery.notes.map((n) => `journal: ${n}`);
    return { snapshot, batches: this.replay(fromSeq), notes };
  }

  private async *replay(fromSeq: number): AsyncIterable<JournalBatch> {
    for await (const entry of this.wal.replay(fromSeq)) {
      this.journalBytes += entry.data.length;
      this.journalBatches++;
      yield { seq: entry.seq, records: decodeRecords(entry.data) };
    }
  }

  append(records: readonly MetadataRecord[]): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(new MetadataStoreError(`journal failed earlier: ${this.failure.message}`, { cause: this.failure }));
    let entries: Buffer[];
    try {
      entries = this.encode(records);
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      return Promise.reject(err);
    }
    let last: Promise<number> = Promise.resolve(-1);
    for (const entry of entries) {
      last = this.wal.append(entry);
      // The WAL fails for good after an I/O error; remember it here too so the refusal
      // does not depend on the WAL's internals.
      last.catch((err: unknown) => (this.failure ??= err instanceof Error ? err : new Error(String(err))));
      this.journalBytes += entry.length;
    }
    this.journalBatches++;
    return last;
  }

  /** One journal entry, or several split at record boundaries when the batch is larger than an entry may be. */
  private encode(records: readonly MetadataRecord[]): Buffer[] {
    if (records.length === 0) throw new MetadataStoreError('append needs at least one record');
    const whole = encodeRecords(records);
    if (whole.length <= this.maxEntryBytes) return [whole];
    const entries: Buffer[] = [];
    let group: MetadataRecord[] = [];
    let groupBytes = 0;
    for (const r of records) {
      const one = encodeRecords([r]);
      if (one.length > this.maxEntryBytes) throw new MetadataStoreError(`a ${r.type} record of ${one.length} bytes exceeds the journal entry limit of ${this.maxEntryBytes} bytes`);
      if (group.length > 0 && groupBytes + one.length > this.maxEntryBytes) {
        entries.push(encodeRecords(group));
        group = [];
        groupBytes = 0;
      }
      group.push(r);
      groupBytes += one.length;
    }
    entries.push(encodeRecords(group));
    return entries;
  }

  snapshot(source: SnapshotSource, upToSeq: number): Promise<void> {
    // What the snapshot lets go is what was appended up to now: later appends stay counted.
    const bytesCovered = this.journalBytes;
    const batchesCovered = this.journalBatches;
    const run = this.snapshotChain.then(async () => {
      if (upToSeq <= this.lastSnapshotSeq) return;
      // `source` is an immutable capture (the store contract), so it is read while writing.
      await writeSnapshotFile(this.fs, this.dir, upToSeq, source, this.snapshotOptions);
      this.lastSnapshotSeq = upToSeq;
      this.journalBytes = Math.max(0, this.journalBytes - bytesCovered);
      this.journalBatches = Math.max(0, this.journalBatches - batchesCovered);
      await this.wal.trim(upToSeq + 1);
    });
    this.snapshotChain = run.catch(() => undefined);
    return run;
  }

  stats(): MetadataStoreStats {
    return { journalBytes: this.journalBytes, journalBatches: this.journalBatches };
  }

  /** The journal WAL's own numbers (segments and bytes on disk), for tests and metrics. */
  journalStats(): WalStats {
    return this.wal.stats();
  }

  async close(): Promise<void> {
    await this.snapshotChain;
    await this.wal.close();
  }
}
