// I/O failures: a failed write or fdatasync fails the log for good (that batch, every
// queued and every later append reject with 'io'; nothing is retried), and reopening
// recovers exactly the acknowledged records.

import { describe, expect, it } from 'vitest';
import { WalError, errorCode } from '@stratus/wal';
import type { WriteAheadLog } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import type { FaultRule } from '@stratus/wal/testing';
import { collect, openMemoryWal, payload, settle, turns } from './support/helpers.ts';

const SEGMENT = /\.wal$/;

/** Appends `count` records concurrently, in waves of 4, returning every outcome by seq order of issue. */
async function appendWaves(wal: WriteAheadLog, count: number, size = 80): Promise<{ ok: boolean; seq?: number; error?: unknown }[]> {
  const out: { ok: boolean; seq?: number; error?: unknown }[] = [];
  for (let i = 0; i < count; i += 4) {
    const wave = await Promise.all(Array.from({ length: Math.min(4, count - i) }, (_, j) => settle(wal.append(payload(i + j, size)))));
    for (const r of wave) out.push(r.ok ? { ok: true, seq: r.value } : { ok: false, error: r.error });
  }
  return out;
}

async function expectRecovered(fs: MemoryFileSystem, acked: number[], segmentBytes = 1024): Promise<void> {
  const { wal, recovery } = await openMemoryWal(fs, { segmentBytes });
  const records = await collect(wal.replay());
  const seqs = records.map((r) => r.seq);
  for (const seq of acked) expect(seqs).toContain(seq);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i)); // contiguous from 0
  for (const r of records) expect(r.data.equals(payload(r.seq, 80))).toBe(true);
  expect(await wal.append(payload(recovery.nextSeq, 80))).toBe(recovery.nextSeq);
  await wal.close();
}

describe('I/O failures', () => {
  const cases: { name: string; rule: FaultRule; cause: string }[] = [
    { name: 'fdatasync EIO', rule: { op: 'datasync', path: SEGMENT, skip: 5 }, cause: 'EIO' },
    { name: 'write EIO', rule: { op: 'write', path: SEGMENT, skip: 5 }, cause: 'EIO' },
    { name: 'torn write (half lands, then EIO)', rule: { op: 'write', path: SEGMENT, skip: 5, keepBytes: 100 }, cause: 'EIO' },
    { name: 'new segment cannot be created', rule: { op: 'open', path: SEGMENT, skip: 0 }, cause: 'EIO' },
    { name: 'directory fsync fails during a roll', rule: { op: 'syncDir', skip: 0 }, cause: 'EIO' },
  ];

  for (const { name, rule, cause } of cases) {
    it(`${name}: the batch and every later append reject, reopening keeps every ack`, async () => {
      const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 });
      fs.inject(rule);
      const outcomes = await appendWaves(wal, 60);
      const firstFailure = outcomes.findIndex((o) => !o.ok);
      expect(firstFailure).toBeGreaterThan(0);
      // Everything from the first failure on failed: no append succeeds after a failure.
      expect(outcomes.slice(firstFailure).every((o) => !o.ok)).toBe(true);
      for (const o of outcomes.slice(firstFailure)) {
        expect(o.error).toBeInstanceOf(WalError);
        expect(o.error).toMatchObject({ code: 'io', retriable: false });
      }
      const root = (outcomes[firstFailure]!.error as WalError).cause;
      expect(errorCode(root)).toBe(cause);

      // Failed for good: nothing more is written, appends and trims are refused.
      const writes = fs.counters.writes;
      await expect(wal.append(Buffer.from('x'))).rejects.toMatchObject({ code: 'io' });
      await expect(wal.trim(1)).rejects.toMatchObject({ code: 'io' });
      await turns(10);
      expect(fs.counters.writes).toBe(writes);
      await wal.close();

      const acked = outcomes.filter((o) => o.ok).map((o) => o.seq!);
      await expectRecovered(fs, acked); // same boot: reopen after the failure
      await expectRecovered(fs.crash({ keepUnsynced: 'prefix' }), acked); // and after power loss
    });
  }

  it('never retries an fdatasync that failed; the page-cache copy of the batch is discarded', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 64 * 1024 });
    await wal.append(payload(0, 80));
    fs.inject({ op: 'datasync', path: SEGMENT });
    const syncs = fs.counters.datasyncs;
    const failed = await Promise.all([1, 2, 3].map((i) => settle(wal.append(payload(i, 80)))));
    expect(failed.every((r) => !r.ok)).toBe(true);
    await wal.close();
    // One failed fdatasync for the batch, one for the truncate that cuts it off; the
    // batch is never synced again.
    expect(fs.counters.datasyncs - syncs).toBe(2);
    const { wal: reopened } = await openMemoryWal(fs, { segmentBytes: 64 * 1024 });
    expect((await collect(reopened.replay())).map((r) => r.seq)).toEqual([0]);
    await reopened.close();
  });

  it('ENOSPC pauses the log instead of failing it: what was not durable rejects (no_space, retriable), appends continue the sequence after resume()', async () => {
    const paused: WalError[] = [];
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 64 * 1024, onNoSpace: (e) => paused.push(e) });
    fs.noSpaceAfter(2000);
    const outcomes = await appendWaves(wal, 40);
    const acked = outcomes.filter((o) => o.ok).map((o) => o.seq!);
    const refused = outcomes.filter((o) => !o.ok);
    expect(acked).toEqual(acked.map((_, i) => i)); // a prefix, no hole
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.error).toMatchObject({ code: 'no_space', retriable: true });
    expect(paused).toHaveLength(1);
    // Still paused: refused at once, and the sequence did not move.
    await expect(wal.append(payload(99, 80))).rejects.toMatchObject({ code: 'no_space' });
    // Space returns.
    fs.noSpaceAfter(undefined);
    wal.resume();
    expect(await wal.append(payload(acked.length, 80))).toBe(acked.length);
    await wal.close();
    await expectRecovered(fs, [...acked, acked.length], 64 * 1024);
  });

  it('a short write (the device ran out of room part-way) pauses like ENOSPC', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 });
    fs.inject({ op: 'write', path: SEGMENT, skip: 5, keepBytes: 100, returnShort: true });
    const outcomes = await appendWaves(wal, 60);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(String((refused[0]!.error as WalError).cause)).toMatch(/short write/);
    for (const r of refused) expect(r.error).toMatchObject({ code: 'no_space' });
    wal.resume();
    const acked = outcomes.filter((o) => o.ok).map((o) => o.seq!);
    expect(acked).toEqual(acked.map((_, i) => i));
    // The sequence continues where the durable records end.
    for (let seq = acked.length; seq < acked.length + 4; seq++) expect(await wal.append(payload(seq, 80))).toBe(seq);
    await wal.close();
    await expectRecovered(fs, [...acked, acked.length + 3]);
  });

  it('ENOSPC while creating the next segment pauses too, and leaves no half-made segment behind', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 });
    const first = await appendWaves(wal, 8); // fills most of the first segment
    expect(first.map((o) => o.ok)).toEqual(first.map(() => true));
    fs.noSpaceAfter(10); // the next segment's 28-byte header does not fit
    const next = await appendWaves(wal, 12);
    const refused = next.filter((o) => !o.ok);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.error).toMatchObject({ code: 'no_space' });
    fs.noSpaceAfter(undefined);
    wal.resume();
    const acked = [...first, ...next].filter((o) => o.ok).map((o) => o.seq!);
    expect(acked).toEqual(acked.map((_, i) => i));
    for (let seq = acked.length; seq < acked.length + 8; seq++) expect(await wal.append(payload(seq, 80))).toBe(seq);
    await wal.close();
    await expectRecovered(fs, [...acked, acked.length + 7]);
  });

  it('queued appends behind a failing batch reject with the same error', async () => {
    const { wal, fs } = await openMemoryWal();
    await wal.append(payload(0, 80));
    fs.inject({ op: 'datasync', path: SEGMENT });
    const first = settle(wal.append(payload(1, 80)));
    await turns(1); // the writer takes the first batch
    const queued = await Promise.all([2, 3, 4].map((i) => settle(wal.append(payload(i, 80)))));
    const head = await first;
    expect(head.ok).toBe(false);
    for (const q of queued) expect(!q.ok && q.error).toBe(!head.ok && head.error);
    await wal.close();
  });

  it('openWal reports an unreadable directory as a WalError io', async () => {
    const fs = new MemoryFileSystem();
    fs.inject({ op: 'readdir' });
    await expect(openMemoryWal(fs)).rejects.toMatchObject({ code: 'io' });
  });

  it('replay reports a bad read that persists as corrupt, and a transient one not at all', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 64 * 1024 });
    for (let i = 0; i < 10; i++) await wal.append(payload(i, 300));
    fs.inject({ op: 'read', path: SEGMENT, flipBit: true, skip: 1 });
    expect((await collect(wal.replay())).length).toBe(10); // re-read confirms, bytes are fine
    fs.inject({ op: 'read', path: SEGMENT, flipBit: true, skip: 1, times: Infinity });
    await expect(collect(wal.replay())).rejects.toMatchObject({ code: 'corrupt' });
    fs.clearFaults();
    fs.inject({ op: 'read', path: SEGMENT });
    await expect(collect(wal.replay())).rejects.toMatchObject({ code: 'io' });
    await wal.close();
  });
});
