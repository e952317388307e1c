// Recovery: torn tails are cut; damage — a bad record, a gap or an unreadable header with
// intact records after it — makes recovery refuse and change nothing, unless the
// operator chose to truncate: then it yields exactly the records before the damage and
// moves the rest to quarantine/; a gap is never papered over, and a crash at any step of
// a segment roll or of recovery itself loses no acknowledged record.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import type { UnsyncedFate } from '@stratus/wal/testing';
import { encodeSegmentHeader } from '../src/segment-format.ts';
import { encodeTrimCheckpoint } from '../src/trim-checkpoint.ts';
import { readQuarantine, WalCorruptionError } from '../src/recovery.ts';
import { DIR, collect, openMemoryWal, payload } from './support/helpers.ts';

const SEGMENT_BYTES = 512;
const sizeOf = (i: number): number => 20 + ((i * 53) % 90);

/** A closed log of `count` records on a fresh file system; returns its files' durable contents. */
async function buildLog(count: number): Promise<Map<string, Buffer>> {
  const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: SEGMENT_BYTES });
  for (let i = 0; i < count; i++) await wal.append(payload(i, sizeOf(i)));
  await wal.close();
  const files = new Map<string, Buffer>();
  for (const name of fs.list(DIR)) files.set(name, fs.durableContent(`${DIR}/${name}`));
  return files;
}

function fsWith(files: Map<string, Buffer>): MemoryFileSystem {
  const fs = new MemoryFileSystem();
  for (const [name, content] of files) fs.writeFileDurably(`${DIR}/${name}`, content);
  return fs;
}

async function replayed(
  fs: MemoryFileSystem,
  onDamage: 'refuse' | 'truncate' = 'truncate',
): Promise<{ seqs: number[]; nextSeq: number; notes: readonly string[]; truncatedBytes: number; quarantine: { dir: string; fromSeq: number; toSeq: number } | undefined }> {
  const { wal, recovery } = await openMemoryWal(fs, { segmentBytes: SEGMENT_BYTES, onDamage });
  const records = await collect(wal.replay());
  for (const r of records) expect(r.data.equals(payload(r.seq, sizeOf(r.seq)))).toBe(true);
  await wal.close();
  return { seqs: records.map((r) => r.seq), nextSeq: recovery.nextSeq, notes: recovery.notes, truncatedBytes: recovery.truncatedBytes, quarantine: recovery.quarantine };
}

/** Every file's durable content, to check that a refusal changed nothing. */
function snapshotFiles(fs: MemoryFileSystem): Map<string, string> {
  return new Map(fs.list(DIR).map((name) => [name, fs.durableContent(`${DIR}/${name}`).toString('hex')]));
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('recovery', () => {
  it('cuts a torn tail: a partial frame header, a partial payload, garbage', async () => {
    const files = await buildLog(12);
    const names = [...files.keys()].filter((n) => n.endsWith('.wal'));
    const last = names.at(-1)!;
    for (const tail of [Buffer.alloc(7, 0xff), Buffer.alloc(40, 0), Buffer.concat([Buffer.from([0, 0, 0, 50]), Buffer.alloc(30, 1)])]) {
      const damaged = new Map(files);
      damaged.set(last, Buffer.concat([files.get(last)!, tail]));
      const result = await replayed(fsWith(damaged));
      expect(result.seqs).toEqual(range(12));
      expect(result.nextSeq).toBe(12);
      expect(result.truncatedBytes).toBe(tail.length);
      expect(result.notes.join('\n')).toMatch(new RegExp(`${last}: cut at byte ${files.get(last)!.length}`));
    }
  });

  it('a flipped bit anywhere yields exactly the records before it, and seq continues there', async () => {
    const count = 25;
    const files = await buildLog(count);
    // Where every record lives: file name, start and end byte.
    const layout: { name: string; start: number; end: number; seq: number }[] = [];
    const headers: { name: string; firstSeq: number }[] = [];
    for (const [name, content] of files) {
      if (!name.endsWith('.wal')) continue;
      let pos = 28;
      let seq = Number(name.slice(0, 20));
      headers.push({ name, firstSeq: seq });
      while (pos < content.length) {
        const end = pos + 16 + content.readUInt32BE(pos);
        layout.push({ name, start: pos, end, seq: seq++ });
        pos = end;
      }
    }
    expect(layout.map((l) => l.seq)).toEqual(range(count));
    let cases = 0;
    for (const [name, content] of files) {
      if (!name.endsWith('.wal')) continue;
      for (let pos = 0; pos < content.length; pos++) {
        const fs = fsWith(files);
        fs.corrupt(`${DIR}/${name}`, pos, 1 << (pos % 8));
        const hit = pos < 28 ? headers.find((h) => h.name === name)!.firstSeq : layout.find((l) => l.name === name && pos >= l.start && pos < l.end)!.seq;
        // By default, damage before the last segment (intact records follow it) is refused
        // with nothing changed; in the last segment it is within a torn write and cut.
        const before = snapshotFiles(fs);
        const refused = await replayed(fs, 'refuse').then(
          (r) => r,
          (e: unknown) => e,
        );
        const inLastSegment = name === headers.at(-1)!.name;
        if (inLastSegment) {
          expect((refused as { seqs: number[] }).seqs, `flip at ${name}:${pos}`).toEqual(range(hit));
        } else {
          expect(refused, `flip at ${name}:${pos}`).toBeInstanceOf(WalCorruptionError);
          expect(snapshotFiles(fs)).toEqual(before);
          const result = await replayed(fs);
          expect(result.seqs, `flip at ${name}:${pos}`).toEqual(range(hit));
          expect(result.nextSeq).toBe(hit);
          expect(result.quarantine?.fromSeq).toBe(hit);
        }
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
  });

  it('a bad record in the middle of the last segment, with intact records beyond one flush after it, is damage: reported with its position', async () => {
    // One big segment, 1 KiB flushes: what follows the bad record reaches further than a torn write could.
    const { wal, fs } = await openMemoryWal(undefined, { segmentBytes: 64 * 1024 });
    for (let i = 0; i < 40; i++) await wal.append(payload(i, 100));
    await wal.close();
    const name = fs.list(DIR).find((n) => n.endsWith('.wal'))!;
    const recordAt = (seq: number): number => 28 + seq * (16 + 100);
    fs.corrupt(`${DIR}/${name}`, recordAt(10) + 30, 0x04);
    const before = snapshotFiles(fs);
    const refusal = await openMemoryWal(fs, { segmentBytes: 64 * 1024, flushMaxBytes: 1024 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(WalCorruptionError);
    expect((refusal as WalCorruptionError).positionBytes).toBe(recordAt(10));
    expect((refusal as Error).message).toContain(`at byte ${recordAt(10)}`);
    expect((refusal as Error).message).toContain('intact records 11..39');
    expect(snapshotFiles(fs)).toEqual(before);

    const { wal: cut, recovery } = await openMemoryWal(fs, { segmentBytes: 64 * 1024, flushMaxBytes: 1024, onDamage: 'truncate' });
    expect((await collect(cut.replay())).map((r) => r.seq)).toEqual(range(10));
    expect(recovery.quarantine).toMatchObject({ fromSeq: 10, toSeq: 39 });
    const kept = fs.durableContent(`${recovery.quarantine!.dir}/${name}.from-${recordAt(10)}`);
    expect(kept.equals(Buffer.from(before.get(name)!, 'hex').subarray(recordAt(10)))).toBe(true);
    // What the set-aside records carried can still be read (the damaged one excepted).
    const setAside = [];
    for await (const r of readQuarantine(fs, DIR)) setAside.push(r);
    expect(setAside.map((r) => r.seq)).toEqual(range(40).slice(11));
    expect(setAside.every((r) => r.payload.equals(payload(r.seq, 100)))).toBe(true);
    // Appends continue at the cut, and a second open finds nothing to complain about.
    expect(await cut.append(payload(10, 100))).toBe(10);
    await cut.close();
    const { recovery: again } = await openMemoryWal(fs, { segmentBytes: 64 * 1024, flushMaxBytes: 1024 });
    expect(again.nextSeq).toBe(11);
  });

  it('sets every segment after a gap aside (refusing by default) instead of serving records past it', async () => {
    const files = await buildLog(30);
    const names = [...files.keys()].filter((n) => n.endsWith('.wal'));
    expect(names.length).toBeGreaterThan(4);
    const missing = names[2]!;
    const damaged = new Map(files);
    damaged.delete(missing);
    const fs = fsWith(damaged);
    const gapAt = Number(missing.slice(0, 20));
    // By default: refused, naming the segment after the gap; nothing changed.
    const before = snapshotFiles(fs);
    await expect(replayed(fs, 'refuse')).rejects.toThrow(new RegExp(`${names[3]!}.*ends at seq ${gapAt}`));
    expect(snapshotFiles(fs)).toEqual(before);
    const result = await replayed(fs);
    expect(result.seqs).toEqual(range(gapAt));
    expect(result.nextSeq).toBe(gapAt);
    expect(result.notes.filter((n) => n.includes('(gap)'))).toHaveLength(names.length - 3);
    // The segments after the gap are set aside, not served and not deleted; the new
    // active segment starts at the gap.
    for (const name of names.slice(3)) expect(fs.list(DIR)).not.toContain(name);
    for (const name of names.slice(3)) expect(fs.list(result.quarantine!.dir)).toContain(name);
    expect(fs.list(DIR)).toContain(`${String(gapAt).padStart(20, '0')}.wal`);
  });

  it('a trim whose unlinks persisted out of order is not mistaken for a gap', async () => {
    const files = await buildLog(30);
    const names = [...files.keys()].filter((n) => n.endsWith('.wal'));
    const trimSeq = Number(names[3]!.slice(0, 20));
    const damaged = new Map(files);
    damaged.set('trim.checkpoint', encodeTrimCheckpoint(trimSeq));
    damaged.delete(names[1]!); // the second released segment is gone, the first is not
    const fs = fsWith(damaged);
    const result = await replayed(fs);
    expect(result.seqs).toEqual(range(30).slice(trimSeq));
    expect(result.truncatedBytes).toBe(0);
    expect(result.notes.join('\n')).not.toMatch(/gap/);
    expect(fs.list(DIR)).not.toContain(names[0]);
    // Past the trim point a hole is still a gap.
    const lost = new Map(files);
    lost.set('trim.checkpoint', encodeTrimCheckpoint(trimSeq));
    lost.delete(names[4]!);
    await expect(replayed(fsWith(lost), 'refuse')).rejects.toBeInstanceOf(WalCorruptionError);
    expect((await replayed(fsWith(lost))).seqs).toEqual(range(Number(names[4]!.slice(0, 20))).slice(trimSeq));
  });

  it('a torn header on the last segment (a crash during a roll) removes just that file', async () => {
    const files = await buildLog(10);
    const damaged = new Map(files);
    damaged.set(`${String(10).padStart(20, '0')}.wal`, encodeSegmentHeader(10, 0).subarray(0, 11));
    const result = await replayed(fsWith(damaged));
    expect(result.seqs).toEqual(range(10));
    expect(result.nextSeq).toBe(10);
  });

  it('an unreadable header in the middle drops it and every later segment', async () => {
    const files = await buildLog(30);
    const names = [...files.keys()].filter((n) => n.endsWith('.wal'));
    const fs = fsWith(files);
    fs.corrupt(`${DIR}/${names[1]!}`, 0, 0xff);
    await expect(replayed(fs, 'refuse')).rejects.toThrow(/unreadable segment header/);
    const result = await replayed(fs);
    expect(result.seqs).toEqual(range(Number(names[1]!.slice(0, 20))));
  });

  it('ignores foreign files, removes a leftover checkpoint temp file, tolerates a bad checkpoint', async () => {
    const files = await buildLog(10);
    const damaged = new Map(files);
    damaged.set('README', Buffer.from('not a segment'));
    damaged.set('trim.checkpoint.tmp', Buffer.from('half'));
    damaged.set('trim.checkpoint', Buffer.from('garbage'));
    const fs = fsWith(damaged);
    const result = await replayed(fs);
    expect(result.seqs).toEqual(range(10));
    expect(result.notes.join('\n')).toMatch(/trim checkpoint ignored/);
    expect(fs.list(DIR)).toContain('README');
    expect(fs.list(DIR)).not.toContain('trim.checkpoint.tmp');
  });

  it('a trim checkpoint past the end of the log moves nextSeq forward and drops older segments', async () => {
    const files = await buildLog(10);
    const damaged = new Map(files);
    damaged.set('trim.checkpoint', encodeTrimCheckpoint(50));
    const fs = fsWith(damaged);
    const { wal, recovery } = await openMemoryWal(fs, { segmentBytes: SEGMENT_BYTES });
    expect(recovery).toMatchObject({ firstSeq: 50, nextSeq: 50, records: 0, segments: 1 });
    expect(await wal.append(Buffer.from('x'))).toBe(50);
    await wal.close();
  });

  for (const fate of ['none', 'prefix', 'any'] as UnsyncedFate[]) {
    it(`a crash at every step of appending across segment rolls keeps every ack (unsynced: ${fate})`, async () => {
      const appends = 24;
      const run = async (fs: MemoryFileSystem, acked: number[]): Promise<void> => {
        const { wal } = await openMemoryWal(fs, { segmentBytes: 300 });
        for (let i = 0; i < appends; i++) acked.push(await wal.append(payload(i, sizeOf(i))));
        await wal.close();
      };
      // Count the calls of an undisturbed run.
      const probe = new MemoryFileSystem();
      await run(probe, []);
      const total = probe.counters.calls;
      expect(total).toBeGreaterThan(50);

      for (let step = 0; step <= total; step++) {
        const fs = new MemoryFileSystem({ random: new SeededRandom(step) });
        const acked: number[] = [];
        const frozen = fs.freezeAfter(step);
        await Promise.race([frozen, run(fs, acked).catch(() => undefined)]);
        const after = fs.crash({ keepUnsynced: fate });
        const result = await replayed(after);
        expect(result.seqs.slice(0, acked.length), `crash after ${step} calls`).toEqual(acked);
        expect(result.seqs).toEqual(range(result.seqs.length));
        expect(result.nextSeq).toBe(result.seqs.length);
      }
    });
  }

  it('a crash at any step of recovery itself leads to the same recovered log', async () => {
    const files = await buildLog(30);
    const names = [...files.keys()].filter((n) => n.endsWith('.wal'));
    const damaged = new Map(files);
    // A corrupt record in the third segment: that segment is cut and every later one deleted.
    const victim = names[2]!;
    damaged.set(victim, Buffer.from(files.get(victim)!));
    damaged.get(victim)![60] = damaged.get(victim)![60]! ^ 0x10;
    const reference = await replayed(fsWith(damaged));

    const probe = fsWith(damaged);
    await replayed(probe);
    for (let step = 0; step < probe.counters.calls; step++) {
      const fs = new MemoryFileSystem({ random: new SeededRandom(1000 + step) });
      for (const [name, content] of damaged) fs.writeFileDurably(`${DIR}/${name}`, content);
      const frozen = fs.freezeAfter(step);
      await Promise.race([frozen, openMemoryWal(fs, { segmentBytes: SEGMENT_BYTES, onDamage: 'truncate' }).then(({ wal }) => wal.close()).catch(() => undefined)]);
      const result = await replayed(fs.crash({ keepUnsynced: 'prefix' }));
      expect(result.seqs, `crash after ${step} calls of recovery`).toEqual(reference.seqs);
    }
  });
});
