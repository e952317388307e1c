// The snapshot file on the memory file system: version 2 is written in bounded chunks
// with the event loop free between them and read back section by section; version-1
// files (one JSON document) still load; a crash at any step of writing a many-chunk
// snapshot leaves the previous snapshot and the journal; a failed write removes its temp
// file and trims nothing.

import { describe, expect, it } from 'vitest';
import { crc32c } from '@stratus/protocol';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import type { UnsyncedFate } from '@stratus/wal/testing';
import type { FileHandle, FileSystem, OpenMode } from '@stratus/wal';
import { FileJournalStore, MetadataStoreError, captureState, stateFromSections, toSnapshotData } from '../src/index.ts';
import type { JournalBatch, JournalSnapshotOptions, LoadedMetadata, MetadataRecord, SnapshotData, SnapshotSection, SnapshotSource } from '../src/index.ts';
import { SNAPSHOT_FILE_NAME, SNAPSHOT_HEADER_BYTES, SNAPSHOT_TEMP_NAME, V1_HEADER_BYTES } from '../src/store/snapshot-file.ts';
import { buildState } from './support/snapshot-state.ts';

const DIR = '/data/metadata';
const SNAPSHOT = `${DIR}/${SNAPSHOT_FILE_NAME}`;

/** ~60 KB as JSON lines: 4 topics × 25 partitions × 6 extents, 300 offsets, producer state, memberships. */
const SHAPE = { topics: 4, partitionsPerTopic: 25, extentsPerPartition: 6, partitionsPerObject: 8, groups: 3, offsetsPerGroup: 100, producersPerPartition: 1 } as const;

function rec(i: number): MetadataRecord {
  return { type: 'ProducerIdsAllocated', firstProducerId: i * 10, size: 10 };
}

async function open(fs: FileSystem, snapshot: JournalSnapshotOptions = {}): Promise<FileJournalStore> {
  return FileJournalStore.open({ dir: DIR, fs, clock: new ManualClock(), snapshot });
}

/** A store with `batches` journal batches appended (seq 0 .. batches - 1). */
async function withBatches(fs: FileSystem, batches: number, snapshot: JournalSnapshotOptions = {}): Promise<FileJournalStore> {
  const store = await open(fs, snapshot);
  for await (const b of (await store.load()).batches) void b;
  for (let i = 0; i < batches; i++) await store.append([rec(i)]);
  return store;
}

async function snapshotOf(loaded: LoadedMetadata): Promise<SnapshotData | null> {
  return loaded.snapshot === null ? null : toSnapshotData(await stateFromSections(loaded.snapshot.sections));
}

async function seqs(batches: AsyncIterable<JournalBatch>): Promise<number[]> {
  const out: number[] = [];
  for await (const b of batches) out.push(b.seq);
  return out;
}

/** Records every write (its size) on top of another file system, and calls onWrite first. */
class RecordingFs implements FileSystem {
  readonly writes: { path: string; bytes: number }[] = [];
  onWrite: (path: string) => void = () => undefined;
  private readonly inner: FileSystem;
  constructor(inner: FileSystem) {
    this.inner = inner;
  }
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const handle = await this.inner.open(path, mode);
    return {
      writev: (buffers, position) => {
        this.onWrite(path);
        this.writes.push({ path, bytes: buffers.reduce((n, b) => n + b.length, 0) });
        return handle.writev(buffers, position);
      },
      read: (buffer, offset, length, position) => handle.read(buffer, offset, length, position),
      datasync: () => handle.datasync(),
      truncate: (size) => handle.truncate(size),
      size: () => handle.size(),
      close: () => handle.close(),
    };
  }
  readdir(dir: string): Promise<string[]> {
    return this.inner.readdir(dir);
  }
  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir);
  }
  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir);
  }
  stat(path: string): Promise<{ readonly sizeBytes: number }> {
    return this.inner.stat(path);
  }
}

describe('snapshot file, version 2', () => {
  it('is a checksummed header, written last, over one JSON section per line', async () => {
    const fs = new MemoryFileSystem();
    const state = buildState(SHAPE);
    const store = await withBatches(fs, 42);
    await store.snapshot(captureState(state), 41);
    const file = fs.readFile(SNAPSHOT);
    expect(file.subarray(0, 4).toString()).toBe('SCSN');
    expect(file.readUInt16BE(4)).toBe(2);
    expect(Number(file.readBigUInt64BE(8))).toBe(41);
    expect(Number(file.readBigUInt64BE(16))).toBe(file.length - SNAPSHOT_HEADER_BYTES);
    expect(file.readUInt32BE(24)).toBe(crc32c(file.subarray(SNAPSHOT_HEADER_BYTES)));
    const lines = file.subarray(SNAPSHOT_HEADER_BYTES).toString().split('\n');
    expect(lines.pop()).toBe(''); // every line ends in "\n"
    const kinds = lines.map((l) => (JSON.parse(l) as SnapshotSection).kind);
    expect(kinds[0]).toBe('head');
    expect(kinds[kinds.length - 1]).toBe('end');
    expect(new Set(kinds)).toEqual(new Set(['head', 'brokers', 'brokerStates', 'objects', 'topic', 'partitions', 'offsets', 'groups', 'producers', 'end']));
    await store.close();

    const loaded = await (await open(fs)).load();
    expect(loaded.snapshot?.upToSeq).toBe(41);
    expect(await snapshotOf(loaded)).toEqual(toSnapshotData(state));
  });

  it('refuses a file whose header or payload does not check out, before handing out any section', async () => {
    const fs = new MemoryFileSystem();
    await (await withBatches(fs, 1)).snapshot(captureState(buildState(SHAPE)), 0);
    const good = fs.readFile(SNAPSHOT);
    const cases: [string, Buffer, RegExp][] = [
      ['magic', flip(good, 1), /bad magic/],
      ['version', flip(good, 5), /unsupported version/],
      ['sequence', flip(good, 12), /header checksum mismatch/],
      ['length', flip(good, 20), /header checksum mismatch/],
      ['payload crc', flip(good, 26), /header checksum mismatch/],
      ['payload', flip(good, SNAPSHOT_HEADER_BYTES + 100), /payload checksum mismatch/],
      ['last payload byte', flip(good, good.length - 1), /payload checksum mismatch/],
      ['truncated', good.subarray(0, good.length - 1), /bytes, header says/],
      ['short header', good.subarray(0, 20), /shorter than the 32-byte header/],
    ];
    for (const [what, content, error] of cases) {
      fs.writeFileDurably(SNAPSHOT, content);
      await expect((await open(fs)).load(), what).rejects.toThrow(error);
      await expect((await open(fs)).load(), what).rejects.toThrow(MetadataStoreError);
    }
  });

  it('writes a large snapshot in bounded chunks, encoding each only after the one before was written', async () => {
    const memory = new MemoryFileSystem();
    const fs = new RecordingFs(memory);
    let yields = 0;
    const chunkBytes = 4096;
    const store = await withBatches(fs, 1, {
      chunkBytes,
      sectionEntries: 50,
      yieldToEventLoop: () => {
        yields++;
        return new Promise((resolve) => setImmediate(resolve));
      },
    });
    const capture = captureState(buildState(SHAPE));
    // Counts the sections encoded by the time each chunk is written.
    let pulled = 0;
    const pulledAtWrite: number[] = [];
    const counting: SnapshotSource = {
      *sections(maxEntries) {
        for (const s of capture.sections(maxEntries)) {
          pulled++;
          yield s;
        }
      },
    };
    const total = [...capture.sections(50)].length;
    const writesBefore = fs.writes.length;
    fs.onWrite = (path) => {
      if (path.endsWith(SNAPSHOT_TEMP_NAME)) pulledAtWrite.push(pulled);
    };
    await store.snapshot(counting, 0);
    const writes = fs.writes.slice(writesBefore).filter((w) => w.path.endsWith(SNAPSHOT_TEMP_NAME));
    const fileBytes = memory.readFile(SNAPSHOT).length;
    const payload = writes.slice(0, -1); // the last write is the header
    expect(writes[writes.length - 1]!.bytes).toBe(SNAPSHOT_HEADER_BYTES);
    expect(payload.reduce((n, w) => n + w.bytes, 0)).toBe(fileBytes - SNAPSHOT_HEADER_BYTES);
    // Bounded chunks: each at most chunkBytes plus one section line (50 entries here).
    const longestLine = Math.max(...memory.readFile(SNAPSHOT).subarray(SNAPSHOT_HEADER_BYTES).toString().split('\n').map((l) => l.length + 1));
    for (const w of payload) expect(w.bytes).toBeLessThanOrEqual(chunkBytes + longestLine);
    expect(payload.length).toBeGreaterThanOrEqual(Math.floor((fileBytes - SNAPSHOT_HEADER_BYTES) / (chunkBytes + longestLine)));
    expect(payload.length).toBeGreaterThan(10);
    // One yield to the event loop after every full chunk.
    expect(yields).toBe(payload.length - 1);
    // Encoding was interleaved with writing: by each write, only the sections of the
    // chunks so far were encoded (a chunk holds a few 50-entry sections), never all of them.
    for (let i = 1; i < payload.length; i++) expect(pulledAtWrite[i]! - pulledAtWrite[i - 1]!).toBeLessThanOrEqual(8);
    expect(pulledAtWrite[0]).toBeLessThan(total / 10);
    expect(pulled).toBe(total);
    await store.close();
    expect(await snapshotOf(await (await open(memory)).load())).toEqual(toSnapshotData(buildState(SHAPE)));
  });

  it('reads a large snapshot in blocks, section by section', async () => {
    const memory = new MemoryFileSystem();
    await (await withBatches(memory, 1, { chunkBytes: 2048, sectionEntries: 50 })).snapshot(captureState(buildState(SHAPE)), 0);
    const store = await open(memory, { chunkBytes: 2048 });
    const loaded = await store.load();
    const before = memory.counters.reads;
    let sections = 0;
    let readsAtFirstSection = -1;
    for await (const s of loaded.snapshot!.sections) {
      if (sections++ === 0) readsAtFirstSection = memory.counters.reads - before;
      void s;
    }
    const reads = memory.counters.reads - before;
    const payloadBytes = memory.readFile(SNAPSHOT).length - SNAPSHOT_HEADER_BYTES;
    // The first section arrives after one block, not after the whole payload.
    expect(readsAtFirstSection).toBe(1);
    expect(reads).toBe(Math.ceil(payloadBytes / 2048));
    expect(sections).toBeGreaterThan(20);
  });
});

describe('snapshot file, version 1', () => {
  /** A version-1 file as the store wrote it before version 2: one JSON document of SnapshotData. */
  function v1File(data: SnapshotData, upToSeq: number): Buffer {
    const payload = Buffer.from(JSON.stringify(data));
    const header = Buffer.alloc(V1_HEADER_BYTES);
    header.writeUInt32BE(0x5343534e, 0);
    header.writeUInt16BE(1, 4);
    header.writeBigUInt64BE(BigInt(upToSeq), 8);
    header.writeUInt32BE(payload.length, 16);
    header.writeUInt32BE(crc32c(payload), 20);
    header.writeUInt32BE(crc32c(header.subarray(0, 24)), 24);
    return Buffer.concat([header, payload]);
  }

  it('still loads, with the journal after it; the next snapshot is version 2', async () => {
    const fs = new MemoryFileSystem();
    const state = buildState(SHAPE);
    const data = toSnapshotData(state);
    // As written before producer state and memberships existed: those fields missing.
    const { producers: _producers, groups: _groups, ...older } = data;
    await (await withBatches(fs, 5)).close();
    fs.writeFileDurably(SNAPSHOT, v1File(older as SnapshotData, 2));
    const first = await open(fs);
    const loaded = await first.load();
    expect(loaded.snapshot?.upToSeq).toBe(2);
    expect(await snapshotOf(loaded)).toEqual({ ...data, producers: [], groups: [] });
    expect(await seqs(loaded.batches)).toEqual([3, 4]);
    await first.close();

    fs.writeFileDurably(SNAPSHOT, v1File(data, 2));
    const store = await open(fs);
    const again = await store.load();
    expect(await snapshotOf(again)).toEqual(data);
    await seqs(again.batches);
    await store.snapshot(captureState(state), 4);
    await store.close();
    expect(fs.readFile(SNAPSHOT).readUInt16BE(4)).toBe(2);
    expect(await snapshotOf(await (await open(fs)).load())).toEqual(data);
  });

  it('is checked as before', async () => {
    const fs = new MemoryFileSystem();
    await (await withBatches(fs, 1)).close();
    const good = v1File(toSnapshotData(buildState(SHAPE)), 0);
    for (const [content, error] of [
      [flip(good, 17), /header checksum mismatch/],
      [flip(good, V1_HEADER_BYTES + 5), /payload checksum mismatch/],
      [good.subarray(0, good.length - 3), /bytes, header says/],
    ] as const) {
      fs.writeFileDurably(SNAPSHOT, content);
      await expect((await open(fs)).load()).rejects.toThrow(error);
    }
  });
});

describe('writing a snapshot that fails or is cut short', () => {
  it('recovers the previous snapshot and the journal after a crash at any step of a many-chunk snapshot', async () => {
    const oldState = buildState({ ...SHAPE, topics: 2 });
    const newState = buildState(SHAPE);
    const options: JournalSnapshotOptions = { chunkBytes: 4096, sectionEntries: 50 };
    // How many file-system calls the new snapshot takes.
    const probe = new MemoryFileSystem();
    const p = await withBatches(probe, 5, options);
    await p.snapshot(captureState(oldState), 2);
    const before = probe.counters.calls;
    await p.snapshot(captureState(newState), 4);
    const calls = probe.counters.calls - before;
    expect(calls).toBeGreaterThan(15); // many chunks
    const seen = new Set<string>();
    for (const fate of ['none', 'prefix', 'any'] as UnsyncedFate[]) {
      for (let crashAt = 0; crashAt <= calls; crashAt++) {
        const fs = new MemoryFileSystem({ random: new SeededRandom(crashAt) });
        const store = await withBatches(fs, 5, options);
        await store.snapshot(captureState(oldState), 2);
        const frozen = fs.freezeAfter(crashAt).then(() => 'frozen');
        const outcome = await Promise.race([frozen, store.snapshot(captureState(newState), 4).then(() => 'done')]);
        const after = fs.crash({ keepUnsynced: fate });
        const loaded = await (await open(after, options)).load();
        const where = `crash after ${crashAt} of ${calls} calls (${fate})`;
        if (loaded.snapshot?.upToSeq === 2) {
          expect(outcome, where).toBe('frozen');
          expect(await snapshotOf(loaded), where).toEqual(toSnapshotData(oldState));
          expect(await seqs(loaded.batches), where).toEqual([3, 4]);
        } else {
          expect(loaded.snapshot?.upToSeq, where).toBe(4);
          expect(await snapshotOf(loaded), where).toEqual(toSnapshotData(newState));
          expect(await seqs(loaded.batches), where).toEqual([]);
        }
        expect(after.list(DIR), where).not.toContain(SNAPSHOT_TEMP_NAME);
        seen.add(`${loaded.snapshot?.upToSeq}`);
      }
    }
    expect(seen).toEqual(new Set(['2', '4']));
  });

  it('trims nothing, removes its temp file and keeps the old snapshot when the disk fails (EIO on fsync, ENOSPC)', async () => {
    for (const fault of ['EIO', 'ENOSPC'] as const) {
      const fs = new MemoryFileSystem();
      const store = await withBatches(fs, 6, { chunkBytes: 4096 });
      await store.snapshot(captureState(buildState({ ...SHAPE, topics: 1 })), 2);
      const stats = store.stats();
      const firstSeq = store.journalStats().firstSeq;
      if (fault === 'EIO') fs.inject({ op: 'datasync', path: `${DIR}/${SNAPSHOT_TEMP_NAME}`, error: 'EIO' });
      else fs.noSpaceAfter(10_000); // a few chunks in
      await expect(store.snapshot(captureState(buildState(SHAPE)), 5)).rejects.toMatchObject({ code: fault });
      expect(store.stats(), fault).toEqual(stats);
      expect(store.journalStats().firstSeq, fault).toBe(firstSeq);
      expect(fs.list(DIR), fault).toEqual([SNAPSHOT_FILE_NAME, 'journal']);
      // The store keeps working: appends, and a later snapshot once the disk is back.
      fs.clearFaults();
      expect(await store.append([rec(6)])).toBe(6);
      await store.close();
      const loaded = await (await open(fs)).load();
      expect(loaded.snapshot?.upToSeq, fault).toBe(2);
      expect(await seqs(loaded.batches), fault).toEqual([3, 4, 5, 6]);
    }
  });
});

function flip(file: Buffer, position: number): Buffer {
  const out = Buffer.from(file);
  out[position]! ^= 0x10;
  return out;
}
