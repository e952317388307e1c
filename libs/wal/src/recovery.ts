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
//
// Damage is not a torn tail. A crash can only tear what was written after the last
// fdatasync — the end of the last segment, within one flush. A bad record followed by
// intact records that continue the log further than that, or by later segments holding
// records, is damage to data that may have been acknowledged (a bad sector, a bit flip):
// cutting there would silently drop everything after it. Then recovery changes nothing
// and refuses (WalCorruptionError, naming the file, the byte position and what follows),
// unless the operator chose `onDamage: 'truncate'`: the log is cut at the damage and
// everything after it is moved, not deleted, to quarantine/<time>/ for inspection; the
// report says which records were set aside (quarantinedSeqs), so the caller can make
// sure what they carried is never handed out again.

import { dirname, join } from 'node:path';
import { findIntactRun, intactRecords } from './corruption-scan.ts';
import { WalError } from './wal.ts';
import type { FileSystem } from './fs.ts';
import { SEGMENT_HEADER_BYTES, parseSegmentFileName } from './segment-format.ts';
import { SegmentReader, readFully } from './segment-reader.ts';
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
  /** With onDamage 'truncate': where the data after the damage went. */
  readonly quarantine?: QuarantineReport;
}

export interface QuarantineReport {
  /** The directory the cut-off bytes and later segments were moved to. */
  readonly dir: string;
  /** Seqs of the intact records known to be in it (the log ended at the first). */
  readonly fromSeq: number;
  readonly toSeq: number;
}

export interface RecoveryOptions {
  /** What to do about damage (see the header): refuse to open, or cut and quarantine. */
  readonly onDamage: 'refuse' | 'truncate';
  /** How far after a bad spot intact records may reach and it still counts as a torn last flush (flushMaxBytes). */
  readonly tornWriteBytes: number;
  /** Names the quarantine directory. */
  readonly nowMs: number;
}

/** Intact, acknowledged-looking data lies after a bad spot; recovery refused to cut it. */
export class WalCorruptionError extends WalError {
  readonly file: string;
  readonly positionBytes: number;
  constructor(file: string, positionBytes: number, detail: string) {
    super(
      'corrupt',
      `WAL damage in ${file} at byte ${positionBytes}: ${detail}. Recovery changed nothing. ` +
        'Inspect the file; to cut the log there and move what follows to quarantine/, start with --recover=truncate.',
    );
    this.name = 'WalCorruptionError';
    this.file = file;
    this.positionBytes = positionBytes;
  }
}

/** The first bad spot that is damage rather than a torn tail. */
interface Damage {
  readonly name: string;
  readonly positionBytes: number;
  readonly fileBytes: number;
  readonly detail: string;
  /** Intact seqs known after it (for the report). */
  readonly fromSeq: number;
  readonly toSeq: number;
}

interface Found {
  readonly name: string;
  readonly baseSeq: number;
}

export async function recoverLog(fs: FileSystem, dir: string, options: RecoveryOptions = { onDamage: 'refuse', tornWriteBytes: 4 * 1024 * 1024, nowMs: 0 }): Promise<RecoveredLog> {
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

  const damage = await findDamage(fs, dir, found, trimSeq, options.tornWriteBytes);
  if (damage !== undefined && options.onDamage === 'refuse') throw new WalCorruptionError(join(dir, damage.name), damage.positionBytes, damage.detail);
  let quarantine: QuarantineReport | undefined;
  let quarantineDir: string | undefined;
  if (damage !== undefined) {
    quarantineDir = join(dir, 'quarantine', String(options.nowMs));
    await fs.mkdir(quarantineDir);
    await fs.syncDir(join(dir, 'quarantine'));
    await copyTail(fs, join(dir, damage.name), damage.positionBytes, damage.fileBytes, join(quarantineDir, `${damage.name}.from-${damage.positionBytes}`));
    await fs.syncDir(quarantineDir);
    quarantine = { dir: quarantineDir, fromSeq: damage.fromSeq, toSeq: damage.toSeq };
    notes.push(`${damage.name}: damage at byte ${damage.positionBytes} (${damage.detail}); the bytes after it went to ${quarantineDir}`);
  }

  /** Sets aside (quarantine) or deletes a segment that follows a cut. */
  const drop = async (name: string, why: string): Promise<void> => {
    if (quarantineDir === undefined) return remove(name, why);
    const { sizeBytes } = await fs.stat(join(dir, name));
    await fs.rename(join(dir, name), join(quarantineDir, name));
    unlinked++;
    truncatedBytes += sizeBytes;
    notes.push(`${name}: moved to ${quarantineDir} (${sizeBytes} bytes): ${why}`);
  };

  const kept: Segment[] = [];
  let expected: number | undefined;
  let broken: string | undefined;
  for (const { name, baseSeq } of found) {
    if (broken !== undefined) {
      await drop(name, broken);
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
        await drop(name, `starts at seq ${baseSeq} but the log before it ends at ${expected} (gap)`);
        continue;
      }
    }
    const scan = await scanSegment(fs, join(dir, name), baseSeq);
    if (scan.kind === 'bad-header') {
      expected ??= baseSeq;
      broken = `comes after ${name}, whose header is unreadable`;
      if (quarantineDir !== undefined && damage?.name === name) await drop(name, scan.reason);
      else await remove(name, scan.reason);
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
  if (quarantineDir !== undefined) await fs.syncDir(quarantineDir);

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
  return { segments: kept, firstSeq, nextSeq, records: nextSeq - firstSeq, truncatedBytes, notes, ...(quarantine ? { quarantine } : {}) };
}

/**
 * Scans without changing anything for the first bad spot that is damage: a cut segment
 * with intact records after the cut reaching further than one torn write could, or with
 * a later segment holding records that continue the log.
 */
async function findDamage(fs: FileSystem, dir: string, found: readonly Found[], trimSeq: number, tornWriteBytes: number): Promise<Damage | undefined> {
  let expected: number | undefined;
  for (let i = 0; i < found.length; i++) {
    const { name, baseSeq } = found[i]!;
    if (baseSeq <= trimSeq && (found[i + 1]?.baseSeq ?? Number.POSITIVE_INFINITY) <= trimSeq) continue; // released
    if (expected !== undefined && baseSeq !== expected && !(baseSeq > expected && baseSeq <= trimSeq)) {
      // A gap: the segment before it was cut or is missing. Damage if this one holds records.
      const scan = await scanSegment(fs, join(dir, name), baseSeq);
      if (scan.kind === 'ok' && scan.validBytes > SEGMENT_HEADER_BYTES_FLOOR) {
        return { name, positionBytes: 0, fileBytes: scan.fileBytes, detail: `the log before it ends at seq ${expected} but this segment holds seqs ${baseSeq}..${scan.endSeq - 1}`, fromSeq: baseSeq, toSeq: scan.endSeq - 1 };
      }
      return undefined;
    }
    const path = join(dir, name);
    const scan = await scanSegment(fs, path, baseSeq);
    if (scan.kind === 'bad-header') {
      const later = await laterRecords(fs, dir, found.slice(i + 1));
      return later === undefined ? undefined : { name, positionBytes: 0, fileBytes: 0, detail: `unreadable segment header (${scan.reason}) before ${later}`, fromSeq: baseSeq, toSeq: baseSeq };
    }
    if (scan.validBytes < scan.fileBytes) {
      const file = await fs.open(path, 'read');
      let run;
      try {
        run = await findIntactRun(file, scan.fileBytes, scan.validBytes, scan.endSeq - 1);
      } finally {
        await file.close();
      }
      const isLast = i === found.length - 1;
      const later = isLast ? undefined : await laterRecords(fs, dir, found.slice(i + 1));
      const beyondTornWrite = run !== undefined && run.endBytes - scan.validBytes > tornWriteBytes;
      if (later !== undefined || beyondTornWrite) {
        const after = run !== undefined ? `intact records ${run.firstSeq}..${run.endSeq - 1} follow up to byte ${run.endBytes}` : '';
        const detail = [`${scan.reason} at seq ${scan.endSeq}`, after, later ?? ''].filter((x) => x.length > 0).join('; ');
        return { name, positionBytes: scan.validBytes, fileBytes: scan.fileBytes, detail, fromSeq: scan.endSeq, toSeq: run !== undefined ? run.endSeq - 1 : scan.endSeq };
      }
      return undefined;
    }
    expected = scan.endSeq;
  }
  return undefined;
}

/** Bytes a segment holding no records has (its header); more means at least a partial record. */
const SEGMENT_HEADER_BYTES_FLOOR = SEGMENT_HEADER_BYTES;

/** Describes the first later segment that holds at least one valid record, or undefined. */
async function laterRecords(fs: FileSystem, dir: string, later: readonly Found[]): Promise<string | undefined> {
  for (const { name, baseSeq } of later) {
    const scan = await scanSegment(fs, join(dir, name), baseSeq);
    if (scan.kind === 'ok' && scan.endSeq > baseSeq) return `later segment ${name} holds seqs ${baseSeq}..${scan.endSeq - 1}`;
  }
  return undefined;
}

/** Copies bytes [from, to) of a file into a new file, durably. */
async function copyTail(fs: FileSystem, path: string, from: number, to: number, target: string): Promise<void> {
  const src = await fs.open(path, 'read');
  const dst = await fs.open(target, 'overwrite');
  try {
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let pos = from; pos < to; ) {
      const n = await readFully(src, buf, 0, Math.min(buf.length, to - pos), pos);
      if (n === 0) break;
      const written = await dst.writev([buf.subarray(0, n)], pos - from);
      if (written < n) throw new Error(`short write copying ${path} to quarantine`);
      pos += n;
    }
    await dst.datasync();
  } finally {
    await src.close();
    await dst.close();
  }
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

/**
 * The intact records recoveries of the log in `walDir` set aside (every
 * quarantine/<time>/ directory, oldest first; within one, the damaged segment's tail
 * first, then later segments). For callers that must know what those records carried,
 * e.g. which offsets were handed out already. Quarantine stays until an operator removes it.
 */
export async function* readQuarantine(fs: FileSystem, walDir: string): AsyncGenerator<{ seq: number; payload: Buffer }> {
  const root = join(walDir, 'quarantine');
  let dirs: string[];
  try {
    dirs = await fs.readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const dir of dirs.sort((a, b) => Number(a) - Number(b))) yield* readQuarantineDir(fs, join(root, dir));
}

async function* readQuarantineDir(fs: FileSystem, quarantineDir: string): AsyncGenerator<{ seq: number; payload: Buffer }> {
  const names = (await fs.readdir(quarantineDir)).sort();
  for (const name of names) {
    const path = join(quarantineDir, name);
    const file = await fs.open(path, 'read');
    try {
      const { sizeBytes } = await fs.stat(path);
      // A whole segment starts with its header; a tail starts at the damaged record itself.
      const from = parseSegmentFileName(name) !== undefined ? SEGMENT_HEADER_BYTES : 0;
      yield* intactRecords(file, sizeBytes, from);
    } finally {
      await file.close();
    }
  }
}
