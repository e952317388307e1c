// The snapshot file of FileJournalStore: one file holding the whole controller state as
// of a journal sequence number, replaced atomically (temp file, fdatasync, rename,
// directory fsync), so a crash leaves the old snapshot or the new one, never a mix.
//
// Layout, format version 1 (SNAPSHOT_HEADER_BYTES = 4 + 2 + 2 + 8 + 4 + 4 + 4 = 28),
// big-endian:
//   offset  size  field
//        0     4  magic        0x5343534E ("SCSN")
//        4     2  version      1
//        6     2  flags        0
//        8     8  upToSeq      the state after every journal batch with seq <= upToSeq
//       16     4  payloadBytes length of the payload
//       20     4  payloadCrc   CRC-32C of the payload
//       24     4  headerCrc    CRC-32C of bytes [0, 24)
//       28     n  payload      UTF-8 JSON of SnapshotData
//
// A snapshot that fails its checks is an error, not "no snapshot": the journal before
// it has been trimmed, so starting empty would silently lose the cluster.

import { join } from 'node:path';
import { crc32c } from '@stratus/protocol';
import { errorCode } from '@stratus/wal';
import type { FileHandle, FileSystem } from '@stratus/wal';
import type { SnapshotData } from '../state/snapshot-data.ts';
import { MetadataStoreError } from './metadata-store.ts';

export const SNAPSHOT_FILE_NAME = 'controller.snapshot';
export const SNAPSHOT_TEMP_NAME = 'controller.snapshot.tmp';
export const SNAPSHOT_HEADER_BYTES = 28;
const MAGIC = 0x5343534e;
const VERSION = 1;
/** u32 payload length; V8 cannot build a longer JSON string anyway (~512 MiB). */
const MAX_PAYLOAD_BYTES = 0xffff_ffff;

export function encodeSnapshot(data: SnapshotData, upToSeq: number): Buffer[] {
  let json: string;
  try {
    json = JSON.stringify(data);
  } catch (err) {
    throw new MetadataStoreError(`controller state is too large to snapshot as JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const payload = Buffer.from(json, 'utf8');
  if (payload.length > MAX_PAYLOAD_BYTES) throw new MetadataStoreError(`snapshot payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt16BE(VERSION, 4);
  header.writeUInt16BE(0, 6);
  header.writeBigUInt64BE(BigInt(upToSeq), 8);
  header.writeUInt32BE(payload.length, 16);
  header.writeUInt32BE(crc32c(payload), 20);
  header.writeUInt32BE(crc32c(header.subarray(0, 24)), 24);
  return [header, payload];
}

/** Parses a whole snapshot file; throws MetadataStoreError saying what is wrong. */
export function decodeSnapshot(file: Buffer, name = SNAPSHOT_FILE_NAME): { upToSeq: number; data: SnapshotData } {
  const bad = (why: string): MetadataStoreError => new MetadataStoreError(`snapshot ${name} is unreadable: ${why}`);
  if (file.length < SNAPSHOT_HEADER_BYTES) throw bad(`${file.length} bytes, shorter than the ${SNAPSHOT_HEADER_BYTES}-byte header`);
  if (file.readUInt32BE(0) !== MAGIC) throw bad('bad magic');
  if (crc32c(file.subarray(0, 24)) !== file.readUInt32BE(24)) throw bad('header checksum mismatch');
  if (file.readUInt16BE(4) !== VERSION) throw bad(`unsupported version ${file.readUInt16BE(4)}`);
  const upToSeq = Number(file.readBigUInt64BE(8));
  if (!Number.isSafeInteger(upToSeq)) throw bad('sequence number out of range');
  const payloadBytes = file.readUInt32BE(16);
  if (file.length !== SNAPSHOT_HEADER_BYTES + payloadBytes) throw bad(`${file.length} bytes, header says ${SNAPSHOT_HEADER_BYTES + payloadBytes}`);
  const payload = file.subarray(SNAPSHOT_HEADER_BYTES);
  if (crc32c(payload) !== file.readUInt32BE(20)) throw bad('payload checksum mismatch');
  try {
    return { upToSeq, data: JSON.parse(payload.toString('utf8')) as SnapshotData };
  } catch (err) {
    throw bad(`payload is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Writes the snapshot durably and atomically into `dir`. */
export async function writeSnapshotFile(fs: FileSystem, dir: string, chunks: readonly Buffer[]): Promise<void> {
  const temp = join(dir, SNAPSHOT_TEMP_NAME);
  const file = await fs.open(temp, 'overwrite');
  try {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const written = await file.writev(chunks, 0);
    if (written !== total) throw new MetadataStoreError(`short write of ${temp} (${written} of ${total} bytes)`);
    await file.datasync();
  } finally {
    await file.close();
  }
  await fs.rename(temp, join(dir, SNAPSHOT_FILE_NAME));
  await fs.syncDir(dir);
}

/** The snapshot in `dir`, or null when there is none. A leftover temp file (a crash mid-write) is removed. */
export async function readSnapshotFile(fs: FileSystem, dir: string): Promise<{ upToSeq: number; data: SnapshotData } | null> {
  const names = await fs.readdir(dir);
  if (names.includes(SNAPSHOT_TEMP_NAME)) {
    await fs.unlink(join(dir, SNAPSHOT_TEMP_NAME));
    await fs.syncDir(dir);
  }
  let file: FileHandle;
  try {
    file = await fs.open(join(dir, SNAPSHOT_FILE_NAME), 'read');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = await file.size();
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = await file.read(buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return decodeSnapshot(buf.subarray(0, got));
  } finally {
    await file.close();
  }
}
