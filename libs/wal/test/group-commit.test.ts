// Group commit: concurrent appends share writes and fdatasyncs, batches respect
// flushMaxBytes, and flushMaxDelayMs waits (on the injected clock) to gather more.

import { describe, expect, it } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import type { FileHandle, FileSystem, WalFlush } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { DIR, collect, openMemoryWal, payload, turns } from './support/helpers.ts';

/** Wraps a file system to record the byte size of every writev to a segment. */
function recordingWrites(inner: FileSystem): { fs: FileSystem; writes: number[] } {
  const writes: number[] = [];
  const wrap = (file: FileHandle, path: string): FileHandle => ({
    writev: (buffers, position) => {
      if (path.endsWith('.wal')) writes.push(buffers.reduce((sum, b) => sum + b.length, 0));
      return file.writev(buffers, position);
    },
    read: (...args) => file.read(...args),
    datasync: () => file.datasync(),
    truncate: (size) => file.truncate(size),
    size: () => file.size(),
    close: () => file.close(),
  });
  const fs: FileSystem = {
    open: async (path, mode) => wrap(await inner.open(path, mode), path),
    readdir: (d) => inner.readdir(d),
    unlink: (p) => inner.unlink(p),
    rename: (a, b) => inner.rename(a, b),
    mkdir: (d) => inner.mkdir(d),
    syncDir: (d) => inner.syncDir(d),
    stat: (p) => inner.stat(p),
  };
  return { fs, writes };
}

describe('group commit', () => {
  it('coalesces concurrent appenders into far fewer fdatasyncs than appends', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 * 1024 });
    const syncsBefore = fs.counters.datasyncs;
    const appenders = 32;
    const perAppender = 20;
    await Promise.all(
      Array.from({ length: appenders }, async (_, a) => {
        for (let i = 0; i < perAppender; i++) await wal.append(payload(a * 1000 + i, 200));
      }),
    );
    const syncs = fs.counters.datasyncs - syncsBefore;
    const appends = appenders * perAppender;
    // Closed-loop appenders all land in each round's batch: about one sync per round.
    expect(syncs).toBeLessThanOrEqual(perAppender + 2);
    expect(syncs * 10).toBeLessThan(appends);
    expect(fs.counters.writes - 1).toBe(syncs); // one writev per fdatasync (the 1 is the segment header)
    expect((await collect(wal.replay())).length).toBe(appends);
    await wal.close();
  });

  it('a burst of appends issued together is written by one writev and one fdatasync', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 * 1024 });
    const before = { ...fs.counters };
    await Promise.all(Array.from({ length: 500 }, (_, i) => wal.append(payload(i, 100))));
    expect(fs.counters.datasyncs - before.datasyncs).toBe(1);
    expect(fs.counters.writes - before.writes).toBe(1);
    await wal.close();
  });

  it('bounds each write by flushMaxBytes, except a single larger record', async () => {
    const recording = recordingWrites(new MemoryFileSystem());
    const { wal } = await openWal({ dir: DIR, fs: recording.fs, segmentBytes: 64 * 1024, flushMaxBytes: 1000 });
    recording.writes.length = 0;
    const sizes = [100, 300, 50, 2000, 10, 10, 900, 600, 400, 5];
    await Promise.all(sizes.map((size, i) => wal.append(payload(i, size))));
    for (const bytes of recording.writes) {
      if (bytes > 1000) expect(bytes).toBe(2000 + 16); // the oversized record, alone
      else expect(bytes).toBeLessThanOrEqual(1000);
    }
    expect(recording.writes.reduce((a, b) => a + b, 0)).toBe(sizes.reduce((a, b) => a + b + 16, 0));
    await wal.close();
  });

  it('never lets a batch overflow the segment: it rolls between batches', async () => {
    const recording = recordingWrites(new MemoryFileSystem());
    const { wal } = await openWal({ dir: DIR, fs: recording.fs, segmentBytes: 1000, flushMaxBytes: 64 * 1024 });
    await Promise.all(Array.from({ length: 40 }, (_, i) => wal.append(payload(i, 100))));
    expect(wal.stats().segments).toBeGreaterThan(4);
    expect((await collect(wal.replay())).map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    await wal.close();
  });

  it('flushMaxDelayMs waits on the clock to gather, and flushes early at flushMaxBytes', async () => {
    const clock = new ManualClock();
    const { wal, fs } = await openMemoryWal(undefined, { clock, flushMaxDelayMs: 5, flushMaxBytes: 1000 });
    const before = fs.counters.datasyncs;
    let resolved = 0;
    const first = [wal.append(payload(0, 100)), wal.append(payload(1, 100))].map((p) => p.then(() => resolved++));
    await turns(20);
    expect(resolved).toBe(0); // still gathering
    await clock.advance(3);
    first.push(wal.append(payload(2, 100)).then(() => resolved++));
    await turns(20);
    expect(resolved).toBe(0);
    await clock.advance(2); // 5 ms after the oldest append
    await Promise.all(first);
    expect(fs.counters.datasyncs - before).toBe(1);

    // Reaching flushMaxBytes flushes without waiting for the clock: 8 × 136 frame bytes
    // make one batch of 7 (952 ≤ 1000) at once; the 8th waits for its delay.
    const big = Array.from({ length: 8 }, (_, i) => wal.append(payload(10 + i, 120)));
    await Promise.all(big.slice(0, 7));
    expect(fs.counters.datasyncs - before).toBe(2);
    let lastDone = false;
    void big[7]!.then(() => (lastDone = true));
    await turns(20);
    expect(lastDone).toBe(false);
    await clock.advance(5);
    await big[7];
    expect(fs.counters.datasyncs - before).toBe(3);
    await wal.close();
  });
});

describe('syncWrites: false', () => {
  it('resolves appends after the write alone, still one writev per batch; survives a process crash but not a machine crash', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 * 1024, syncWrites: false });
    const before = { ...fs.counters };
    await Promise.all(Array.from({ length: 16 }, (_, i) => wal.append(payload(i, 200))));
    for (let i = 16; i < 24; i++) await wal.append(payload(i, 200));
    expect(fs.counters.datasyncs - before.datasyncs).toBe(0);
    expect(fs.counters.writes - before.writes).toBeLessThanOrEqual(1 + 8);

    // A process crash leaves the OS's view: every acknowledged append is there.
    const afterKill = await openMemoryWal(fs, { segmentBytes: 1024 * 1024 });
    expect((await collect(afterKill.wal.replay())).map((r) => r.data.equals(payload(r.seq, 200)))).toEqual(Array.from({ length: 24 }, () => true));
    // A machine crash keeps only what was synced: here, nothing of those appends.
    const afterPowerLoss = await openMemoryWal(fs.crash({ keepUnsynced: 'none' }), { segmentBytes: 1024 * 1024 });
    expect(await collect(afterPowerLoss.wal.replay())).toHaveLength(0);
    await afterPowerLoss.wal.close();
  });

  it('syncs a segment when it rolls and the active one on close', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 4096, syncWrites: false });
    for (let i = 0; i < 10; i++) await wal.append(payload(i, 1000)); // a few per segment: several rolls
    await turns(5); // rolled segments are synced in the background
    // Power loss now: the rolled segments were synced, only the active one's appends are lost.
    const lost = await openMemoryWal(fs.crash({ keepUnsynced: 'none' }), { segmentBytes: 4096 });
    const kept = (await collect(lost.wal.replay())).map((r) => r.seq);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(10);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i));
    await lost.wal.close();

    const second = await openMemoryWal(undefined, { segmentBytes: 4096, syncWrites: false });
    for (let i = 0; i < 10; i++) await second.wal.append(payload(i, 1000));
    await second.wal.close();
    // Closed cleanly: everything was synced, a power loss afterwards loses nothing.
    const reopened = await openMemoryWal(second.fs.crash({ keepUnsynced: 'none' }), { segmentBytes: 4096 });
    expect((await collect(reopened.wal.replay())).length).toBe(10);
    await reopened.wal.close();
  });

  it('reports every flush to onFlush: appends, bytes, and no fdatasync time when syncWrites is off', async () => {
    for (const syncWrites of [true, false]) {
      const flushes: WalFlush[] = [];
      const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 1024 * 1024, syncWrites, onFlush: (f) => flushes.push(f) });
      const writesBefore = fs.counters.writes;
      await Promise.all(Array.from({ length: 10 }, (_, i) => wal.append(payload(i, 100))));
      await wal.append(payload(10, 100));
      expect(flushes.length).toBe(fs.counters.writes - writesBefore);
      expect(flushes.reduce((n, f) => n + f.appends, 0)).toBe(11);
      expect(flushes[0]!.appends).toBe(10);
      expect(flushes.every((f) => f.bytes > 100 * f.appends && f.writeMs >= 0 && (syncWrites || f.syncMs === 0))).toBe(true);
      await wal.close();
    }
  });

  it('onFlush says how long the oldest append of each group waited until durable, and stats() shows the queued backlog', async () => {
    const clock = new ManualClock();
    const flushes: WalFlush[] = [];
    const { wal } = await openMemoryWal(undefined, { clock, flushMaxDelayMs: 5, flushMaxBytes: 1_000_000, onFlush: (f) => flushes.push(f) });
    const first = wal.append(payload(0, 100));
    await clock.advance(3);
    const second = wal.append(payload(1, 100));
    await turns(5);
    // Both wait for the gather delay: queued, not yet written.
    expect(wal.stats()).toMatchObject({ queuedAppends: 2, waitingAppends: 0 });
    expect(wal.stats().queuedBytes).toBeGreaterThan(200);
    await clock.advance(2);
    await Promise.all([first, second]);
    expect(flushes.length).toBe(1);
    // The memory file system takes no time: the oldest append waited exactly the 5 ms gather.
    expect(flushes[0]!.oldestAppendMs).toBe(5);
    expect(wal.stats()).toMatchObject({ queuedAppends: 0, queuedBytes: 0 });
    await wal.close();
  });

  it('a rolled segment is synced in the background: appends do not wait for it, and if it fails the log stops', async () => {
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 4096, syncWrites: false });
    for (let i = 0; i < 3; i++) await wal.append(payload(i, 1000));
    // The next roll's fdatasync of the finished segment fails: appends resolved before it is noticed are fine ...
    fs.inject({ op: 'datasync', path: (p) => p.endsWith('.wal'), times: 1 });
    await wal.append(payload(3, 1000)); // rolls
    await turns(5);
    // ... and the log then refuses appends, as after any failed fsync.
    await expect(wal.append(payload(4, 1000))).rejects.toThrow(/WAL write failed/);
    await wal.close();
  });

  it('rejects a non-boolean syncWrites', async () => {
    await expect(openMemoryWal(undefined, { syncWrites: 'no' as unknown as boolean })).rejects.toThrow('syncWrites must be true or false');
  });
});
