// FileJournalStore on the memory file system: batches survive reopen, snapshots are
// atomic and checksummed, the journal is trimmed below a snapshot, large batches are
// split, and a failed append fails every later one. Also the record codec. The snapshot
// file itself (streaming, version 1, crashes mid-write) is in snapshot-file.test.ts.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { FileJournalStore, captureState, emptyState, stateFromSections, toSnapshotData } from '../src/index.ts';
import type { JournalBatch, LoadedMetadata, MetadataRecord, SnapshotData } from '../src/index.ts';
import { decodeRecords, encodeRecords } from '../src/store/record-codec.ts';
import { SNAPSHOT_FILE_NAME, SNAPSHOT_HEADER_BYTES, SNAPSHOT_TEMP_NAME } from '../src/store/snapshot-file.ts';

const DIR = '/data/metadata';
const T = Buffer.alloc(16, 1).toString('base64url');

function rec(i: number): MetadataRecord {
  return { type: 'ProducerIdsAllocated', firstProducerId: i * 10, size: 10 };
}

async function open(fs: MemoryFileSystem, wal: { segmentBytes?: number; maxRecordBytes?: number } = {}): Promise<FileJournalStore> {
  return FileJournalStore.open({ dir: DIR, fs, clock: new ManualClock(), wal });
}

/** The loaded snapshot's state in SnapshotData form (null without a snapshot). */
async function snapshotOf(loaded: LoadedMetadata): Promise<SnapshotData | null> {
  return loaded.snapshot === null ? null : toSnapshotData(await stateFromSections(loaded.snapshot.sections));
}

async function collect(it: AsyncIterable<JournalBatch>): Promise<JournalBatch[]> {
  const out: JournalBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('record codec', () => {
  it('round-trips every record type, storing extents without their object key and size', () => {
    const extent = { topicId: T, partition: 1, objectKey: 'k', objectSize: 50, baseOffset: 0, lastOffset: 4, position: 8, length: 20, maxTimestamp: 9, leaderEpoch: 2 };
    const records: MetadataRecord[] = [
      { type: 'ClusterCreated', clusterId: 'c' },
      { type: 'BrokerRegistered', broker: { nodeId: 1, host: 'h', port: 9092, rack: 'r' } },
      { type: 'BrokerUnregistered', nodeId: 1 },
      { type: 'TopicCreated', name: 't', topicId: T, configs: { a: 'b' }, partitions: [{ leader: 1, leaderEpoch: 0 }] },
      { type: 'TopicDeleted', topicId: T },
      { type: 'PartitionsAdded', topicId: T, partitions: [{ leader: -1, leaderEpoch: 0 }] },
      { type: 'ConfigsAltered', topicId: T, configs: {} },
      { type: 'LeaderChanged', changes: [{ topicId: T, partition: 0, leader: 2, leaderEpoch: 3 }] },
      { type: 'ObjectCommitted', objectKey: 'k', objectSize: 50, extents: [extent], rejected: [{ topicId: T, partition: 2, reason: 'fenced', detail: 'd' }] },
      { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 5 },
      { type: 'OffsetsCommitted', group: 'g', commitTimestampMs: 1, offsets: [{ topicId: T, partition: 0, offset: 1, leaderEpoch: 0, metadata: null }] },
      { type: 'OffsetsDeleted', group: 'g', partitions: null },
      { type: 'ProducerIdsAllocated', firstProducerId: 0, size: 1 },
      { type: 'ObjectsScheduledForDeletion', objectKeys: ['k'], deleteAtMs: 1 },
      { type: 'ObjectsDeleted', objectKeys: ['k'] },
    ];
    const bytes = encodeRecords(records);
    expect(bytes[0]).toBe(1);
    expect(bytes.toString()).not.toContain('"objectSize":50,"baseOffset"');
    expect(decodeRecords(bytes)).toEqual(records);
  });

  it('decodes the cluster records (leases, drains, moves) it encodes', () => {
    // A journal holding these could not be loaded (found by the cluster chaos campaign: a
    // controller that became active after a restart refused BrokerDrainingChanged).
    const records: MetadataRecord[] = [
      { type: 'BrokerFenced', nodeId: 2, atMs: 1000 },
      { type: 'BrokerDrainingChanged', nodeId: 1, draining: true },
      { type: 'PartitionMovesStarted', moves: [{ topicId: T, partition: 0, from: 1, to: 2, leaderEpoch: 3 }], atMs: 2000 },
      { type: 'PartitionMovesCancelled', partitions: [{ topicId: T, partition: 0 }] },
    ];
    expect(decodeRecords(encodeRecords(records))).toEqual(records);
  });

  it('refuses unknown formats and record types', () => {
    expect(() => decodeRecords(Buffer.from([2, 0x5b, 0x5d]))).toThrow(/format 2/);
    expect(() => decodeRecords(Buffer.from('\u0001[{"type":"Nope"}]'))).toThrow(/unknown record type/);
    expect(() => decodeRecords(Buffer.from('\u0001{'))).toThrow(/not valid JSON/);
  });
});

describe('FileJournalStore', () => {
  it('keeps appended batches across reopen, in order, with increasing sequence numbers', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs);
    const first = await a.load();
    expect(first.snapshot).toBeNull();
    expect(await collect(first.batches)).toEqual([]);
    const seqs = await Promise.all([a.append([rec(0)]), a.append([rec(1), rec(2)]), a.append([rec(3)])]);
    expect(seqs).toEqual([0, 1, 2]);
    expect(a.stats().journalBatches).toBe(3);
    await a.close();
    const b = await open(fs);
    const loaded = await b.load();
    expect(await collect(loaded.batches)).toEqual([
      { seq: 0, records: [rec(0)] },
      { seq: 1, records: [rec(1), rec(2)] },
      { seq: 2, records: [rec(3)] },
    ]);
    expect(await b.append([rec(4)])).toBe(3);
    await b.close();
  });

  it('keeps acknowledged batches across a crash without close', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs);
    await collect((await a.load()).batches);
    await a.append([rec(0)]);
    await a.append([rec(1)]);
    const b = await open(fs.crash({ keepUnsynced: 'any' }));
    expect((await collect((await b.load()).batches)).map((x) => x.seq)).toEqual([0, 1]);
  });

  it('loads the snapshot and only the batches after it; the journal is trimmed below it', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs, { segmentBytes: 512 });
    await collect((await a.load()).batches);
    for (let i = 0; i < 40; i++) await a.append([rec(i)]);
    const segmentsBefore = a.journalStats().segments;
    expect(segmentsBefore).toBeGreaterThan(3);
    const data = toSnapshotData(emptyState());
    await a.snapshot(captureState(emptyState()), 34);
    expect(a.journalStats().segments).toBeLessThan(segmentsBefore);
    expect(a.journalStats().firstSeq).toBe(35);
    expect(a.stats()).toEqual({ journalBytes: 0, journalBatches: 0 });
    await a.append([rec(40)]);
    await a.close();
    expect(fs.list(DIR)).toEqual(['controller.snapshot', 'journal']);
    const b = await open(fs, { segmentBytes: 512 });
    const loaded = await b.load();
    expect(loaded.snapshot?.upToSeq).toBe(34);
    expect(await snapshotOf(loaded)).toEqual(data);
    expect((await collect(loaded.batches)).map((x) => x.seq)).toEqual([35, 36, 37, 38, 39, 40]);
  });

  it('replaces the snapshot atomically: a crash at any step leaves the old or the new one', async () => {
    const oldState = emptyState();
    const newState = { ...emptyState(), nextProducerId: 77 };
    const oldData = toSnapshotData(oldState);
    const newData = toSnapshotData(newState);
    const seen = new Set<number>();
    for (let crashAt = 0; crashAt < 16; crashAt++) {
      const fs = new MemoryFileSystem();
      const a = await open(fs);
      await collect((await a.load()).batches);
      for (let i = 0; i < 5; i++) await a.append([rec(i)]);
      await a.snapshot(captureState(oldState), 2);
      const frozen = fs.freezeAfter(crashAt);
      const done = a.snapshot(captureState(newState), 4).then(() => 'done');
      const outcome = await Promise.race([frozen.then(() => 'frozen'), done]);
      const b = await open(fs.crash({ keepUnsynced: 'any' }));
      const loaded = await b.load();
      const batches = (await collect(loaded.batches)).map((x) => x.seq);
      if (loaded.snapshot!.upToSeq === 2) {
        expect(outcome, `crash at ${crashAt}`).toBe('frozen');
        expect(await snapshotOf(loaded)).toEqual(oldData);
        expect(batches).toEqual([3, 4]);
      } else {
        expect(loaded.snapshot?.upToSeq).toBe(4);
        expect(await snapshotOf(loaded)).toEqual(newData);
        expect(batches).toEqual([]);
      }
      seen.add(loaded.snapshot!.upToSeq);
      await b.close();
    }
    expect(seen).toEqual(new Set([2, 4]));
  });

  it('refuses to start from a corrupt snapshot or a journal that lost batches', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs);
    await collect((await a.load()).batches);
    await a.append([rec(0)]);
    await a.snapshot(captureState(emptyState()), 0);
    await a.close();
    fs.corrupt(`${DIR}/${SNAPSHOT_FILE_NAME}`, SNAPSHOT_HEADER_BYTES + 1);
    await expect((await open(fs)).load()).rejects.toThrow(/payload checksum mismatch/);

    const fs2 = new MemoryFileSystem();
    const c = await open(fs2);
    await collect((await c.load()).batches);
    for (let i = 0; i < 3; i++) await c.append([rec(i)]);
    await c.snapshot(captureState(emptyState()), 2);
    await c.close();
    await fs2.unlink(`${DIR}/${SNAPSHOT_FILE_NAME}`);
    await expect((await open(fs2)).load()).rejects.toThrow(/starts at batch 3, but there is no snapshot/);
  });

  it('removes a temp file left by a crash during a snapshot write', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably(`${DIR}/${SNAPSHOT_TEMP_NAME}`, Buffer.from('partial'));
    const a = await open(fs);
    expect((await a.load()).snapshot).toBeNull();
    expect(fs.list(DIR)).toEqual(['journal']);
  });

  it('splits a batch larger than a journal entry at record boundaries', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs, { segmentBytes: 4096, maxRecordBytes: 300 });
    await collect((await a.load()).batches);
    const big: MetadataRecord[] = Array.from({ length: 20 }, (_, i) => ({ type: 'ConfigsAltered', topicId: T, configs: { 'retention.ms': String(i).padStart(40, '0') } }));
    expect(encodeRecords(big).length).toBeGreaterThan(300);
    const seq = await a.append(big);
    await a.close();
    const batches = await collect((await (await open(fs, { segmentBytes: 4096, maxRecordBytes: 300 })).load()).batches);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches[batches.length - 1]!.seq).toBe(seq);
    expect(batches.flatMap((b) => b.records)).toEqual(big);
  });

  it('fails every later append once one fails', async () => {
    const fs = new MemoryFileSystem();
    const a = await open(fs, { segmentBytes: 4096, maxRecordBytes: 100 });
    await collect((await a.load()).batches);
    const tooBig: MetadataRecord = { type: 'ConfigsAltered', topicId: T, configs: { x: 'y'.repeat(200) } };
    await expect(a.append([tooBig])).rejects.toThrow(/exceeds the journal entry limit/);
    await expect(a.append([rec(0)])).rejects.toThrow(/journal failed earlier/);

    const fs2 = new MemoryFileSystem();
    const b = await open(fs2);
    await collect((await b.load()).batches);
    fs2.inject({ op: 'datasync', error: 'EIO' });
    await expect(b.append([rec(0)])).rejects.toThrow();
    await expect(b.append([rec(1)])).rejects.toThrow();
  });
});
