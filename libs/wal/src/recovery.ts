// Recovery on open: finds the longest valid prefix of the log and makes the directory
// hold exactly that, durably, before any append.
//
// Rules, in scan order (segments sorted by the base seq in their names):
// - Each record must have a valid length, a matching CRC and the next sequence number.
//   The first record that does not is where the segment is cut: the file is truncated
//   there and fdatasync'ed. A torn tail after a crash is the normal case.
// - A segment must start exactly where the previous one ended. One that does not (a
//   gap: records were lost before it) is deleted, and so is every later one, since all
//   of them start after the gap. Records after a gap are never served. The exception
//   is a gap below the trim checkpoint: those records were released, and a trim's
//   deletions may become durable in any order.
// - A segment whose header is unreadable, or whose header disagrees with its name, is
//   deleted with every later one (how many records it held is unknown).
// - Segments whose records are all below the trim checkpoint, and an empty last
//   segment (a crash right after a roll), are deleted.
// Every cut and deletion is described in the report's notes. Recovery is idempotent: a
// crash during recovery leaves a directory the next recovery reduces to the same prefix.

import { dirname, join } from 'node:path';
import type { FileSystem } from './fs.ts';
import { parseSegmentFileName } from './segment-format.ts';
import { SegmentReader } from './segment-reader.ts';
import type { Segment } from './segments.ts';
import { TRIM_CHECKPOINT_TEMP_NAME, readTrimCheckpoint } from './trim-checkpoint.ts';

export interface RecoveredLog {
  /** Segments kept, oldest first; each holds at least one record. */
  readonly segments: Segment[];
  readonly firstSeq: number;
  readonly nextSeq: number;
  readonly records: number;
  readonly truncatedBytes: number;
  readonly notes: string[];
}

interface Found {
  readonly name: string;
  readonly baseSeq: number;
}

export async function recoverLog(fs: FileSystem, dir: string): Promise<RecoveredLog> {
  await fs.mkdir(dir);
  // When mkdir just created it, the directory's own entry is durable only once its
  // parent is synced; cheap enough to do on every open. And what is about to be read
  // (after a process crash, possibly still only in the page cache) is made durable
  // before anything is deleted because of it.
  await fs.syncDir(dirname(dir));
  await fs.syncDir(dir);
  const names = await fs.readdir(dir);
  const notes: string[] = [];
  let truncatedBytes = 0;
  let unlinked = 0;

  /** Deletes a segment; `lost` when it may have held records that are not trimmed. */
  const remove = async (name: string, why: string, lost = true): Promise<void> => {
    const path = join(dir, name);
    const { sizeBytes } = await fs.stat(path);
    await fs.unlink(path);
    unlinked++;
    if (lost) truncatedBytes += sizeBytes;
    notes.push(`${name}: deleted (${sizeBytes} bytes): ${why}`);
  };

  if (names.includes(TRIM_CHECKPOINT_TEMP_NAME)) {
    await fs.unlink(join(dir, TRIM_CHECKPOINT_TEMP_NAME));
    unlinked++;
  }
  const checkpoint = await readTrimCheckpoint(fs, dir);
  if (checkpoint.problem !== undefined) notes.push(`trim checkpoint ignored: ${checkpoint.problem}`);
  const trimSeq = checkpoint.trimSeq ?? 0;

  const found: Found[] = [];
  for (const name of names) {
    const baseSeq = parseSegmentFileName(name);
    if (baseSeq !== undefined) found.push({ name, baseSeq });
  }
  found.sort((a, b) => a.baseSeq - b.baseSeq);

  const kept: Segment[] = [];
  let expected: number | undefined;
  let broken: string | undefined;
  for (const { name, baseSeq } of found) {
    if (broken !== undefined) {
      await remove(name, broken);
      continue;
    }
    if (expected !== undefined && baseSeq !== expected) {
      if (baseSeq > expected && baseSeq <= trimSeq) {
        // Every missing record was released by a trim (whose checkpoint is made durable
        // before it deletes anything; its deletions may persist in any order): not a
        // gap. The segments before it hold only released records.
        for (const released of kept.splice(0)) await remove(released.name, `all its records are below the trim point ${trimSeq}`, false);
      } else {
        // expected never moves again, and later names sort higher: all later segments go too.
        await remove(name, `starts at seq ${baseSeq} but the log before it ends at ${expected} (gap)`);
        continue;
      }
    }
    const scan = await scanSegment(fs, join(dir, name), baseSeq);
    if (scan.kind === 'bad-header') {
      expected ??= baseSeq;
      broken = `comes after ${name}, whose header is unreadable`;
      await remove(name, scan.reason);
      continue;
    }
    if (scan.validBytes < scan.fileBytes) {
      await truncate(fs, join(dir, name), scan.validBytes);
      truncatedBytes += scan.fileBytes - scan.validBytes;
      notes.push(`${name}: cut at byte ${scan.validBytes} of ${scan.fileBytes} after seq ${scan.endSeq - 1} (${scan.reason})`);
    }
    kept.push({ baseSeq, name, sizeBytes: scan.validBytes });
    expected = scan.endSeq;
  }

  let nextSeq = expected ?? 0;
  // An empty last segment is what a crash right after a roll leaves; the new active
  // segment will take its name.
  const last = kept[kept.length - 1];
  if (last !== undefined && last.baseSeq === nextSeq) {
    kept.pop();
    await remove(last.name, 'holds no records', false);
  }
  if (trimSeq > nextSeq) {
    notes.push(`trim checkpoint ${trimSeq} is past the end of the log (${nextSeq}); continuing at ${trimSeq}`);
    nextSeq = trimSeq;
  }
  // Segments holding no record at or above the trim point: a crash between writing the
  // checkpoint and deleting them.
  while (kept.length > 0 && (kept[1]?.baseSeq ?? nextSeq) <= trimSeq) {
    const first = kept.shift()!;
    await remove(first.name, `all its records are below the trim point ${trimSeq}`, false);
  }
  if (unlinked > 0) await fs.syncDir(dir);

  const firstSeq = kept.length === 0 ? nextSeq : Math.min(nextSeq, Math.max(trimSeq, kept[0]!.baseSeq));
  return { segments: kept, firstSeq, nextSeq, records: nextSeq - firstSeq, truncatedBytes, notes };
}

type Scan =
  | { readonly kind: 'bad-header'; readonly reason: string }
  | { readonly kind: 'ok'; readonly fileBytes: number; readonly validBytes: number; readonly endSeq: number; readonly reason: string };

async function scanSegment(fs: FileSystem, path: string, nameSeq: number): Promise<Scan> {
  const file = await fs.open(path, 'read');
  try {
    const fileBytes = await file.size();
    const reader = new SegmentReader(file, fileBytes);
    const header = await reader.readHeader();
    if (!header.ok) return { kind: 'bad-header', reason: header.reason };
    if (header.baseSeq !== nameSeq) return { kind: 'bad-header', reason: `header says base seq ${header.baseSeq}` };
    let seq = nameSeq;
    for (;;) {
      const validBytes = reader.positionBytes;
      const r = await reader.next(false);
      if (r.kind === 'end') return { kind: 'ok', fileBytes, validBytes, endSeq: seq, reason: '' };
      if (r.kind === 'invalid') return { kind: 'ok', fileBytes, validBytes, endSeq: seq, reason: r.reason };
      if (r.seq !== seq) return { kind: 'ok', fileBytes, validBytes, endSeq: seq, reason: `record has seq ${r.seq}, expected ${seq}` };
      seq++;
    }
  } finally {
    await file.close();
  }
}

async function truncate(fs: FileSystem, path: string, sizeBytes: number): Promise<void> {
  const file = await fs.open(path, 'readwrite');
  try {
    await file.truncate(sizeBytes);
    await file.datasync();
  } finally {
    await file.close();
  }
}
