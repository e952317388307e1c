// The trim checkpoint: one small file recording the latest `trim(upTo)`, so that after a
// restart the log does not hand back records the caller already released when their
// segment still exists (trim deletes whole segments only; the first retained segment
// usually starts below the trim point).
//
// Recovery also uses it to tell segments deleted by a trim from lost ones: unlinks may
// persist in any order, so a hole in the segment sequence below the trim point is not a
// gap. Hence it is durable (temp file, fdatasync, rename, directory fsync) before a trim
// deletes anything. A missing or unreadable checkpoint means "nothing trimmed": safe,
// as callers pass `fromSeq` from their own committed state anyway.
//
// Layout, format version 1 (TRIM_CHECKPOINT_BYTES = 4 + 2 + 2 + 8 + 4 = 20), big-endian:
//   offset  size  field
//        0     4  magic    0x5357544D ("SWTM")
//        4     2  version  1
//        6     2  flags    0
//        8     8  trimSeq  records with seq < trimSeq are released (u64, ≤ 2^53 − 1)
//       16     4  crc      CRC-32C of bytes [0, 16)

import { join } from 'node:path';
import { crc32c } from './crc32c.ts';
import { errorCode } from './fs.ts';
import type { FileSystem } from './fs.ts';
import { readU64, writeU64 } from './segment-format.ts';
import { readFully } from './segment-reader.ts';

export const TRIM_CHECKPOINT_NAME = 'trim.checkpoint';
export const TRIM_CHECKPOINT_TEMP_NAME = 'trim.checkpoint.tmp';
const MAGIC = 0x5357544d;
const VERSION = 1;
export const TRIM_CHECKPOINT_BYTES = 4 + 2 + 2 + 8 + 4;

export function encodeTrimCheckpoint(trimSeq: number): Buffer {
  const buf = Buffer.alloc(TRIM_CHECKPOINT_BYTES);
  buf.writeUInt32BE(MAGIC, 0);
  buf.writeUInt16BE(VERSION, 4);
  buf.writeUInt16BE(0, 6);
  writeU64(buf, trimSeq, 8);
  buf.writeUInt32BE(crc32c(buf.subarray(0, 16)), 16);
  return buf;
}

export function decodeTrimCheckpoint(buf: Buffer): { ok: true; trimSeq: number } | { ok: false; reason: string } {
  if (buf.length !== TRIM_CHECKPOINT_BYTES) return { ok: false, reason: `size ${buf.length}, expected ${TRIM_CHECKPOINT_BYTES}` };
  if (buf.readUInt32BE(0) !== MAGIC) return { ok: false, reason: 'bad magic' };
  if (crc32c(buf.subarray(0, 16)) !== buf.readUInt32BE(16)) return { ok: false, reason: 'checksum mismatch' };
  if (buf.readUInt16BE(4) !== VERSION) return { ok: false, reason: `unsupported version ${buf.readUInt16BE(4)}` };
  const trimSeq = readU64(buf, 8);
  if (trimSeq === undefined) return { ok: false, reason: 'trimSeq out of range' };
  return { ok: true, trimSeq };
}

/**
 * Writes the checkpoint to a temp file, syncs it and renames it over the old one. The
 * caller fsyncs the directory afterwards to make the rename durable, before deleting
 * any segment the trim releases.
 */
export async function writeTrimCheckpoint(fs: FileSystem, dir: string, trimSeq: number): Promise<void> {
  const temp = join(dir, TRIM_CHECKPOINT_TEMP_NAME);
  const file = await fs.open(temp, 'overwrite');
  try {
    const bytes = encodeTrimCheckpoint(trimSeq);
    const written = await file.writev([bytes], 0);
    if (written !== bytes.length) throw new Error(`short write of trim checkpoint (${written} of ${bytes.length} bytes)`);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, join(dir, TRIM_CHECKPOINT_NAME));
}

/** The trim point on disk: a number, undefined when there is none, or why it was unreadable. */
export async function readTrimCheckpoint(fs: FileSystem, dir: string): Promise<{ trimSeq: number | undefined; problem?: string }> {
  let file;
  try {
    file = await fs.open(join(dir, TRIM_CHECKPOINT_NAME), 'read');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return { trimSeq: undefined };
    throw err;
  }
  try {
    const size = await file.size();
    const buf = Buffer.alloc(Math.min(size, TRIM_CHECKPOINT_BYTES + 1));
    const got = await readFully(file, buf, 0, buf.length, 0);
    const decoded = decodeTrimCheckpoint(buf.subarray(0, got));
    return decoded.ok ? { trimSeq: decoded.trimSeq } : { trimSeq: undefined, problem: decoded.reason };
  } finally {
    await file.close();
  }
}
