// Trim (exclusive bound, whole segments only, never the active one, persisted across a
// restart) and the capacity budget (appends wait on the injected clock, then fail
// 'full'; a trim lets them through; call order is kept).

import { describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import { WalError } from '@stratus/wal';
import { collect, openMemoryWal, payload, settle, turns } from './support/helpers.ts';

const segmentNames = (names: string[]): string[] => names.filter((n) => n.endsWith('.wal'));

describe('trim', () => {
  it('is exclusive and deletes only whole segments below the bound', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 512 });
    for (let i = 0; i < 40; i++) await wal.append(payload(i, 60)); // 76-byte frames: 6 per segment
    const bases = segmentNames(fs.list('/data/wal')).map((n) => Number(n.slice(0, 20)));
    expect(bases.slice(0, 4)).toEqual([0, 6, 12, 18]);
    const before = wal.stats();

    await wal.trim(12); // records 0..11 released: segments 0 and 6 go, 12 stays
    expect(segmentNames(fs.list('/data/wal')).map((n) => Number(n.slice(0, 20)))[0]).toBe(12);
    expect(wal.stats().firstSeq).toBe(12);
    expect(wal.stats().untrimmedBytes).toBe(before.untrimmedBytes - 2 * (28 + 6 * 76));
    expect((await collect(wal.replay())).map((r) => r.seq)[0]).toBe(12);

    await wal.trim(17); // inside segment 12: nothing deleted, but replay starts at 17
    expect(segmentNames(fs.list('/data/wal')).map((n) => Number(n.slice(0, 20)))[0]).toBe(12);
    expect((await collect(wal.replay(0)))[0]!.seq).toBe(17);
    expect((await collect(wal.replay(30)))[0]!.seq).toBe(30);

    await wal.trim(5); // below firstSeq: no-op
    expect(wal.stats().firstSeq).toBe(17);
    await wal.close();
  });

  it('never deletes the active segment, even when everything is trimmed', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 512 });
    for (let i = 0; i < 20; i++) await wal.append(payload(i, 60));
    await wal.trim(20);
    expect(wal.stats()).toMatchObject({ firstSeq: 20, nextSeq: 20, segments: 1 });
    expect(segmentNames(fs.list('/data/wal'))).toHaveLength(1);
    expect(await collect(wal.replay())).toEqual([]);
    expect(await wal.append(Buffer.from('next'))).toBe(20);
    await wal.close();
  });

  it('rejects bounds past the end and invalid numbers', async () => {
    const { wal } = await openMemoryWal();
    await wal.append(Buffer.from('a'));
    await expect(wal.trim(2)).rejects.toThrow(RangeError);
    await expect(wal.trim(-1)).rejects.toThrow(RangeError);
    await expect(wal.trim(1.5)).rejects.toThrow(RangeError);
    await wal.trim(1);
    await wal.close();
  });

  it('survives a restart: replay starts at the trim point', async () => {
    const first = await openMemoryWal(undefined, { segmentBytes: 512 });
    for (let i = 0; i < 20; i++) await first.wal.append(payload(i, 60));
    await first.wal.trim(15);
    // Power loss right after: the checkpoint and the deletions were made durable by trim.
    const fs = first.fs.crash();
    const second = await openMemoryWal(fs, { segmentBytes: 512 });
    expect(second.recovery).toMatchObject({ firstSeq: 15, nextSeq: 20, records: 5 });
    expect((await collect(second.wal.replay())).map((r) => r.seq)).toEqual([15, 16, 17, 18, 19]);
    await second.wal.close();
  });

  it('a trim that fails leaves the log usable', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 512 });
    for (let i = 0; i < 20; i++) await wal.append(payload(i, 60));
    fs.inject({ op: 'unlink' });
    await expect(wal.trim(12)).rejects.toMatchObject({ code: 'io' });
    expect(await wal.append(Buffer.from('still fine'))).toBe(20);
    await wal.trim(12);
    expect(wal.stats().firstSeq).toBe(12);
    await wal.close();
  });
});

describe('capacity', () => {
  // 512-byte segments, 1024-byte budget: each 100-byte append is a 116-byte frame.
  const options = (clock: ManualClock) => ({ segmentBytes: 512, capacityBytes: 1024, appendWaitMs: 1000, clock });

  async function fill(wal: { append(d: Buffer): Promise<number>; stats(): { untrimmedBytes: number } }): Promise<number> {
    let n = 0;
    while (wal.stats().untrimmedBytes + 116 <= 1024) await wal.append(payload(n++, 100));
    return n;
  }

  it('appends wait for a trim, then fail with a retriable full error', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, options(clock));
    const n = await fill(wal);
    const blocked = settle(wal.append(payload(n, 100)));
    await turns(10);
    await clock.advance(999);
    await turns(10);
    let done = false;
    void blocked.then(() => (done = true));
    await turns(5);
    expect(done).toBe(false);
    await clock.advance(1);
    const result = await blocked;
    expect(result.ok).toBe(false);
    const error = (result as { error: unknown }).error;
    expect(error).toBeInstanceOf(WalError);
    expect(error).toMatchObject({ code: 'full', retriable: true });
    expect(wal.stats().nextSeq).toBe(n); // the rejected append took no sequence number
    await wal.close();
  });

  it('a trim lets waiting appends through, in call order', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, options(clock));
    const n = await fill(wal);
    const order: number[] = [];
    const waiting = [0, 1, 2].map((i) => wal.append(payload(n + i, 100)).then((seq) => (order.push(i), seq)));
    await turns(10);
    expect(order).toEqual([]);
    await wal.trim(n);
    expect(await Promise.all(waiting)).toEqual([n, n + 1, n + 2]);
    expect(order).toEqual([0, 1, 2]);
    await wal.close();
  });

  it('later appends queue behind a waiting one even when they would fit', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, options(clock));
    await fill(wal);
    const room = 1024 - wal.stats().untrimmedBytes; // less than one 116-byte frame
    const big = settle(wal.append(payload(100, 100)));
    expect(room).toBeGreaterThan(16);
    const small = settle(wal.append(Buffer.alloc(room - 16)));
    let smallDone = false;
    void small.then(() => (smallDone = true));
    await turns(10);
    await clock.advance(999);
    await turns(10);
    expect(smallDone).toBe(false);
    await clock.advance(1);
    expect((await big).ok).toBe(false);
    // With the big one gone, the small one fits and is admitted.
    expect((await small).ok).toBe(true);
    await wal.close();
  });

  it('appendWaitMs 0 rejects at once when full', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, { ...options(clock), appendWaitMs: 0 });
    const n = await fill(wal);
    await expect(wal.append(payload(n, 100))).rejects.toMatchObject({ code: 'full' });
    await wal.close();
  });

  it('queued appends count against the budget before they are written', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, { ...options(clock), appendWaitMs: 0 });
    const untrimmed = wal.stats().untrimmedBytes;
    const fit = Math.floor((1024 - untrimmed) / 116);
    const results = await Promise.all(Array.from({ length: fit + 3 }, (_, i) => settle(wal.append(payload(i, 100)))));
    expect(results.filter((r) => r.ok)).toHaveLength(fit);
    expect(results.slice(fit).every((r) => !r.ok && (r.error as WalError).code === 'full')).toBe(true);
    await wal.close();
  });

  it('close rejects appends still waiting for room', async () => {
    const clock = new ManualClock();
    const { wal } = await openMemoryWal(undefined, options(clock));
    const n = await fill(wal);
    const blocked = settle(wal.append(payload(n, 100)));
    await turns(5);
    await wal.close();
    const result = await blocked;
    expect(!result.ok && (result.error as WalError).code).toBe('closed');
  });
});
