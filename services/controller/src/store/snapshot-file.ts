// The snapshot file of FileJournalStore: one file holding the whole controller state as
// of a journal sequence number, replaced atomically (temp file, fdatasync, rename,
// directory fsync), so a crash leaves the old snapshot or the new one, never a mix.
//
// Version 2 (written now) streams: the payload is snapshot sections as JSON lines
// (snapshot-lines.ts), written chunk by chunk with the event loop free between chunks,
// and read back section by section. The header, with the payload's length and CRC-32C,
// is written last, at offset 0, once the payload is complete; only then is the file
// synced and renamed into place. Layout, big-endian (SNAPSHOT_HEADER_BYTES = 32):
//   offset  size  field
//        0     4  magic        0x5343534E ("SCSN")
//        4     2  version      2
//        6     2  flags        0
//        8     8  upToSeq      the state after every journal batch with seq <= upToSeq
//       16     8  payloadBytes length of the payload
//       24     4  payloadCrc   CRC-32C of the payload
//       28     4  headerCrc    CRC-32C of bytes [0, 28)
//       32     n  payload      SnapshotSection per line, each ending in "\n"
//
// Version 1 (read still: files written before version 2) is one JSON document of
// SnapshotData (snapshot-data.ts); its header (V1_HEADER_BYTES = 28) has a 4-byte
// payloadBytes at 16, payloadCrc at 20 and headerCrc (of bytes [0, 24)) at 24.
//
// A snapshot that fails its checks is an error, not "no snapshot": the journal before
// it has been trimmed, so starting empty would silently lose the cluster. The checksum
// of a version-2 file is verified in one pass before any section is handed out, and
// again while the sections are read.

import { join } from 'node:path';
import { crc32c } from '@stratus/protocol';
import { errorCode } from '@stratus/wal';
import type { FileHandle, FileSystem } from '@stratus/wal';
import { sectionsOfSnapshotData } from '../state/snapshot-data.ts';
import type { SnapshotData } from '../state/snapshot-data.ts';
import type { SnapshotSection, SnapshotSource } from '../state/snapshot-sections.ts';
import { MetadataStoreError } from './metadata-store.ts';
import { SectionLineDecoder, writeSectionLines } from './snapshot-lines.ts';
import type { SectionWriteOptions } from './snapshot-lines.ts';

export const SNAPSHOT_FILE_NAME = 'controller.snapshot';
export const SNAPSHOT_TEMP_NAME = 'controller.snapshot.tmp';
export const SNAPSHOT_HEADER_BYTES = 32;
export const V1_HEADER_BYTES = 28;
const MAGIC = 0x5343534e;
const VERSION = 2;

export interface SnapshotWriteOptions extends SectionWriteOptions {
  /** Most entries per section (StateCapture.sections). */
  readonly sectionEntries: number;
}

export interface SnapshotRead {
  readonly upToSeq: number;
  /** Read lazily, one block at a time (a version-1 file is parsed whole, as it was written). */
  readonly sections: AsyncIterable<SnapshotSection>;
}

interface Header {
  readonly version: 1 | 2;
  readonly headerBytes: number;
  readonly upToSeq: number;
  readonly payloadBytes: number;
  readonly payloadCrc: number;
}

/** The version-2 header of a payload. */
export function encodeSnapshotHeader(upToSeq: number, payloadBytes: number, payloadCrc: number): Buffer {
  const header = Buffer.alloc(SNAPSHOT_HEADER_BYTES);
  header.writeUInt32BE(MAGIC, 0);
  header.writeUInt16BE(VERSION, 4);
  header.writeUInt16BE(0, 6);
  header.writeBigUInt64BE(BigInt(upToSeq), 8);
  header.writeBigUInt64BE(BigInt(payloadBytes), 16);
  header.writeUInt32BE(payloadCrc, 24);
  header.writeUInt32BE(crc32c(header.subarray(0, 28)), 28);
  return header;
}

function unreadable(why: string, name = SNAPSHOT_FILE_NAME): MetadataStoreError {
  return new MetadataStoreError(`snapshot ${name} is unreadable: ${why}`);
}

/** Checks the header at the start of `head` (the file's first bytes) against the file's size. */
function decodeHeader(head: Buffer, fileBytes: number): Header {
  if (head.length < 6) throw unreadable(`${fileBytes} bytes, shorter than a header`);
  if (head.readUInt32BE(0) !== MAGIC) throw unreadable('bad magic');
  const version = head.readUInt16BE(4);
  if (version !== 1 && version !== 2) throw unreadable(`unsupported version ${version}`);
  const headerBytes = version === 1 ? V1_HEADER_BYTES : SNAPSHOT_HEADER_BYTES;
  if (head.length < headerBytes) throw unreadable(`${fileBytes} bytes, shorter than the ${headerBytes}-byte header`);
  const crcAt = headerBytes - 4;
  if (crc32c(head.subarray(0, crcAt)) !== head.readUInt32BE(crcAt)) throw unreadable('header checksum mismatch');
  const upToSeq = Number(head.readBigUInt64BE(8));
  if (!Number.isSafeInteger(upToSeq)) throw unreadable('sequence number out of range');
  const payloadBytes = version === 1 ? head.readUInt32BE(16) : Number(head.readBigUInt64BE(16));
  const payloadCrc = head.readUInt32BE(version === 1 ? 20 : 24);
  if (fileBytes !== headerBytes + payloadBytes) throw unreadable(`${fileBytes} bytes, header says ${headerBytes + payloadBytes}`);
  return { version, headerBytes, upToSeq, payloadBytes, payloadCrc };
}

/**
 * Streams `source`'s sections into a temp file, then makes it the snapshot durably and
 * atomically. On failure the temp file is removed (best effort): a partial snapshot must
 * not keep disk space the journal needs.
 */
export async function writeSnapshotFile(fs: FileSystem, dir: string, upToSeq: number, source: SnapshotSource, o: SnapshotWriteOptions): Promise<void> {
  const temp = join(dir, SNAPSHOT_TEMP_NAME);
  try {
    const file = await fs.open(temp, 'overwrite');
    try {
      let position = SNAPSHOT_HEADER_BYTES;
      const payload = await writeSectionLines(
        source.sections(o.sectionEntries),
        async (chunk) => {
          await writeFully(file, chunk, position, temp);
          position += chunk.length;
        },
        o,
      );
      await writeFully(file, encodeSnapshotHeader(upToSeq, payload.bytes, payload.crc), 0, temp);
      await file.datasync();
    } finally {
      await file.close();
    }
    await fs.rename(temp, join(dir, SNAPSHOT_FILE_NAME));
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
  await fs.syncDir(dir);
}

async function writeFully(file: FileHandle, data: Buffer, position: number, path: string): Promise<void> {
  const written = await file.writev([data], position);
  if (written !== data.length) throw new MetadataStoreError(`short write of ${path} (${written} of ${data.length} bytes)`);
}

/**
 * The snapshot in `dir`, or null when there is none. A leftover temp file (a crash
 * mid-write) is removed. A version-2 file's checksum is verified before this resolves;
 * its sections are then read in blocks of `blockBytes`.
 */
export async function readSnapshotFile(fs: FileSystem, dir: string, blockBytes: number): Promise<SnapshotRead | null> {
  const names = await fs.readdir(dir);
  if (names.includes(SNAPSHOT_TEMP_NAME)) {
    await fs.unlink(join(dir, SNAPSHOT_TEMP_NAME));
    await fs.syncDir(dir);
  }
  const path = join(dir, SNAPSHOT_FILE_NAME);
  let file: FileHandle;
  try {
    file = await fs.open(path, 'read');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
  let header: Header;
  try {
    const size = await file.size();
    const head = Buffer.alloc(Math.min(size, SNAPSHOT_HEADER_BYTES));
    await readFully(file, head, 0);
    header = decodeHeader(head, size);
    if (header.version === 1) {
      const whole = Buffer.alloc(size);
      await readFully(file, whole, 0);
      const { upToSeq, data } = decodeSnapshotV1(whole);
      return { upToSeq, sections: fromSync(() => sectionsOfSnapshotData(data)) };
    }
    let crc = 0;
    for await (const block of blocks(file, header, blockBytes)) crc = crc32c(block, crc);
    if (crc !== header.payloadCrc) throw unreadable('payload checksum mismatch');
  } finally {
    await file.close();
  }
  return { upToSeq: header.upToSeq, sections: readSections(fs, path, header, blockBytes) };
}

async function* readSections(fs: FileSystem, path: string, header: Header, blockBytes: number): AsyncGenerator<SnapshotSection> {
  const file = await fs.open(path, 'read');
  try {
    const decoder = new SectionLineDecoder(SNAPSHOT_FILE_NAME);
    let crc = 0;
    for await (const block of blocks(file, header, blockBytes)) {
      crc = crc32c(block, crc);
      yield* decoder.push(block);
    }
    decoder.end();
    if (crc !== header.payloadCrc) throw unreadable('payload checksum mismatch (the file changed while it was loaded)');
  } finally {
    await file.close();
  }
}

/** The payload in blocks; one buffer is reused, so a block is valid until the next is asked for. */
async function* blocks(file: FileHandle, header: Header, blockBytes: number): AsyncGenerator<Buffer> {
  const end = header.headerBytes + header.payloadBytes;
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(blockBytes, header.payloadBytes)));
  for (let pos = header.headerBytes; pos < end; ) {
    const n = await file.read(buf, 0, Math.min(buf.length, end - pos), pos);
    if (n === 0) throw unreadable(`it ends at byte ${pos}, its header says ${end}`);
    pos += n;
    yield buf.subarray(0, n);
  }
}

async function readFully(file: FileHandle, into: Buffer, position: number): Promise<void> {
  let got = 0;
  while (got < into.length) {
    const n = await file.read(into, got, into.length - got, position + got);
    if (n === 0) throw unreadable(`it ends at byte ${position + got}, before the ${into.length} bytes expected`);
    got += n;
  }
}

/** Parses a whole version-1 snapshot file; throws MetadataStoreError saying what is wrong. */
export function decodeSnapshotV1(file: Buffer): { upToSeq: number; data: SnapshotData } {
  const header = decodeHeader(file.subarray(0, V1_HEADER_BYTES), file.length);
  if (header.version !== 1) throw unreadable(`version ${header.version}, expected 1`);
  const payload = file.subarray(V1_HEADER_BYTES);
  if (crc32c(payload) !== header.payloadCrc) throw unreadable('payload checksum mismatch');
  try {
    return { upToSeq: header.upToSeq, data: JSON.parse(payload.toString('utf8')) as SnapshotData };
  } catch (err) {
    throw unreadable(`payload is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function* fromSync<T>(make: () => Iterable<T>): AsyncGenerator<T> {
  yield* make();
}
