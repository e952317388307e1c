// Appends and replay on a healthy disk: round trips (single and multi-chunk records,
// empty and maximum-size records), segment rolling, resolution order, reopening, close.

import { describe, expect, it } from 'vitest';
import { WalError } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { collect, openMemoryWal, payload, settle } from './support/helpers.ts';

describe('append and replay', () => {
  it('starts an empty directory at seq 0', async () => {
    const { wal, recovery } = await openMemoryWal();
    expect(recovery).toEqual({ segments: 1, records: 0, firstSeq: 0, nextSeq: 0, truncatedBytes: 0, notes: [] });
    expect(wal.stats()).toMatchObject({ firstSeq: 0, nextSeq: 0, segments: 1 });
    expect(await wal.append(Buffer.from('a'))).toBe(0);
    expect(await wal.append(Buffer.from('b'))).toBe(1);
    await wal.close();
  });

  it('round-trips records of many sizes, given as one buffer or several chunks', async () => {
    const { wal } = await openMemoryWal(undefined, { segmentBytes: 64 * 1024 });
    const sizes = [0, 1, 15, 16, 17, 1000, 4096, 20_000, 0, 3];
    const expected: Buffer[] = [];
    for (const [i, size] of sizes.entries()) {
      const data = payload(i, size);
      expected.push(data);
      const chunks = i % 2 === 0 ? data : [data.subarray(0, size >> 1), Buffer.alloc(0), data.subarray(size >> 1)];
      expect(await wal.append(chunks)).toBe(i);
    }
    const records = await collect(wal.replay());
    expect(records.map((r) => r.seq)).toEqual(sizes.map((_, i) => i));
    records.forEach((r, i) => expect(r.data.equals(expected[i]!)).toBe(true));
    expect((await collect(wal.replay(7))).map((r) => r.seq)).toEqual([7, 8, 9]);
    expect(await collect(wal.replay(10))).toEqual([]);
    await wal.close();
  });

  it('rolls segments before they exceed segmentBytes and replays across them', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 });
    const all = await Promise.all(Array.from({ length: 60 }, (_, i) => wal.append(payload(i, 100 + (i % 7) * 30))));
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
    const files = fs.list('/data/wal').filter((n) => n.endsWith('.wal'));
    expect(files.length).toBeGreaterThan(5);
    for (const name of files) expect(fs.readFile(`/data/wal/${name}`).length).toBeLessThanOrEqual(1024);
    expect(wal.stats().segments).toBe(files.length);
    const records = await collect(wal.replay());
    expect(records.map((r) => r.seq)).toEqual(all);
    records.forEach((r) => expect(r.data.equals(payload(r.seq, 100 + (r.seq % 7) * 30))).toBe(true));
    await wal.close();
  });

  it('accepts a record of exactly maxRecordBytes and rejects a larger one', async () => {
    const { wal } = await openMemoryWal(undefined, { segmentBytes: 1024 });
    const max = 1024 - 28 - 16;
    await wal.append(Buffer.alloc(10));
    expect(await wal.append(Buffer.alloc(max, 7))).toBe(1);
    await expect(wal.append(Buffer.alloc(max + 1))).rejects.toThrow(RangeError);
    expect((await collect(wal.replay(1)))[0]!.data.length).toBe(max);
    await wal.close();
  });

  it('resolves appends in sequence order', async () => {
    const { wal } = await openMemoryWal(undefined, { segmentBytes: 2048, flushMaxBytes: 300 });
    const order: number[] = [];
    const pending = Array.from({ length: 200 }, (_, i) => wal.append(payload(i, (i * 37) % 250)).then((seq) => order.push(seq)));
    await Promise.all(pending);
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await wal.close();
  });

  it('continues after reopening, in a new segment, with every record intact', async () => {
    const first = await openMemoryWal(undefined, { segmentBytes: 1024 });
    for (let i = 0; i < 20; i++) await first.wal.append(payload(i, 90));
    await first.wal.close();
    const second = await openMemoryWal(first.fs, { segmentBytes: 1024 });
    expect(second.recovery).toMatchObject({ firstSeq: 0, nextSeq: 20, records: 20, truncatedBytes: 0, notes: [] });
    expect(await second.wal.append(payload(20, 90))).toBe(20);
    const records = await collect(second.wal.replay());
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    records.forEach((r) => expect(r.data.equals(payload(r.seq, 90))).toBe(true));
    await second.wal.close();
  });

  it('close waits for in-flight appends, then refuses new ones', async () => {
    const { wal } = await openMemoryWal();
    const inflight = Array.from({ length: 10 }, (_, i) => wal.append(payload(i, 50)));
    const closing = wal.close();
    const late = await settle(wal.append(Buffer.from('late')));
    await closing;
    expect(await Promise.all(inflight)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(late.ok).toBe(false);
    expect(!late.ok && late.error instanceof WalError && late.error.code).toBe('closed');
    await expect(wal.trim(1)).rejects.toMatchObject({ code: 'closed' });
    expect(() => wal.replay()).toThrow(WalError);
    await wal.close(); // idempotent
  });

  it('replay reads only durable records and tolerates a concurrent trim', async () => {
    const { wal } = await openMemoryWal(undefined, { segmentBytes: 512 });
    for (let i = 0; i < 30; i++) await wal.append(payload(i, 60));
    const seen: number[] = [];
    for await (const r of wal.replay()) {
      seen.push(r.seq);
      if (r.seq === 2) await wal.trim(20); // deletes segments the replay has not reached
    }
    // Records of deleted segments are skipped; the retained ones still come, in order.
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(seen.at(-1)).toBe(29);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    await wal.close();
  });

  it('works against a fresh MemoryFileSystem per instance (no shared state)', async () => {
    const a = await openMemoryWal(new MemoryFileSystem());
    const b = await openMemoryWal(new MemoryFileSystem());
    await a.wal.append(Buffer.from('x'));
    expect(b.wal.stats().nextSeq).toBe(0);
    await a.wal.close();
    await b.wal.close();
  });
});
