// The on-disk format of one cached block, and file names. A block file is
//
//   offset  size  field
//        0     4  magic "SBLK" (0x53424c4b)
//        4     2  version (1)
//        6     2  keyBytes: length of the object key in UTF-8
//        8     4  blockBytes the cache ran with when it wrote the file
//       12     4  block index
//       16     4  dataBytes
//       20     4  CRC-32 (zlib) of the data
//       24  keyBytes  object key
//       24 + keyBytes  dataBytes  the block's bytes
//
// All integers big-endian. The header lets a read prove the file is the block it wants:
// files are written without fsync (a cache need not survive power loss), so after a crash
// a renamed file may be torn or zero-filled; the CRC catches that, and the key and index
// catch a hash collision or a changed blockBytes. A new version is added beside this one.

import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const BLOCK_FILE_MAGIC = 0x53424c4b;
export const BLOCK_FILE_VERSION = 1;
export const BLOCK_FILE_HEADER_BYTES = 24;
export const BLOCK_FILE_SUFFIX = '.blk';
export const TEMP_FILE_SUFFIX = '.tmp';
/** Object keys longer than this are not written to disk (S3 caps keys at 1024 bytes). */
export const MAX_KEY_BYTES = 4096;

export interface BlockFileIdentity {
  readonly objectKey: string;
  readonly blockIndex: number;
  readonly blockBytes: number;
}

/**
 * File name of a block: a hash, so any object key maps to a safe, fixed-length name.
 * blockBytes is part of it so a restart with another block size never matches old files.
 */
export function blockFileName(id: BlockFileIdentity): string {
  const digest = createHash('sha256').update(`${id.blockBytes}/${id.blockIndex}/${id.objectKey}`).digest('hex');
  return digest.slice(0, 40) + BLOCK_FILE_SUFFIX;
}

/** Header and key of a block file; write it, then the data, as one file. */
export function encodeBlockFileHeader(id: BlockFileIdentity, data: Uint8Array): Buffer {
  const key = Buffer.from(id.objectKey, 'utf8');
  if (key.length > MAX_KEY_BYTES) throw new RangeError(`object key of ${key.length} bytes is too long for a block file`);
  const header = Buffer.allocUnsafe(BLOCK_FILE_HEADER_BYTES + key.length);
  header.writeUInt32BE(BLOCK_FILE_MAGIC, 0);
  header.writeUInt16BE(BLOCK_FILE_VERSION, 4);
  header.writeUInt16BE(key.length, 6);
  header.writeUInt32BE(id.blockBytes, 8);
  header.writeUInt32BE(id.blockIndex, 12);
  header.writeUInt32BE(data.byteLength, 16);
  header.writeUInt32BE(crc32(data), 20);
  key.copy(header, BLOCK_FILE_HEADER_BYTES);
  return header;
}

export class BlockFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockFileError';
  }
}

/**
 * The data of a block file, as a view into `file`, after checking that the file is
 * exactly the block `id` of `dataBytes` bytes. Throws BlockFileError otherwise.
 */
export function decodeBlockFile(file: Buffer, id: BlockFileIdentity, dataBytes: number): Buffer {
  if (file.length < BLOCK_FILE_HEADER_BYTES) throw new BlockFileError(`block file of ${file.length} bytes is shorter than its header`);
  if (file.readUInt32BE(0) !== BLOCK_FILE_MAGIC) throw new BlockFileError('bad block file magic');
  const version = file.readUInt16BE(4);
  if (version !== BLOCK_FILE_VERSION) throw new BlockFileError(`unsupported block file version ${version}`);
  const keyBytes = file.readUInt16BE(6);
  const dataStart = BLOCK_FILE_HEADER_BYTES + keyBytes;
  if (file.readUInt32BE(8) !== id.blockBytes || file.readUInt32BE(12) !== id.blockIndex) throw new BlockFileError('block file is for another block');
  if (file.readUInt32BE(16) !== dataBytes || file.length !== dataStart + dataBytes) {
    throw new BlockFileError(`block file holds ${file.length - Math.min(dataStart, file.length)} data bytes, expected ${dataBytes}`);
  }
  if (file.toString('utf8', BLOCK_FILE_HEADER_BYTES, dataStart) !== id.objectKey) throw new BlockFileError('block file is for another object');
  const data = file.subarray(dataStart);
  if (crc32(data) !== file.readUInt32BE(20)) throw new BlockFileError('block file checksum mismatch');
  return data;
}

/** Bytes a block file of this identity and data length occupies. */
export function blockFileBytes(objectKey: string, dataBytes: number): number {
  return BLOCK_FILE_HEADER_BYTES + Buffer.byteLength(objectKey, 'utf8') + dataBytes;
}
