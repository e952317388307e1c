// LZ4 frame format (what every Kafka client writes for compression type 3).
//
// lz4-napi's frame decoder cannot be told a maximum output size, so before calling it we
// walk the frame's block headers (cheap: no decompression) and compute an upper bound on
// the output: a compressed block decodes to at most the frame's block maximum, a stored
// block to exactly its size. When that bound fits the limit the library decodes the
// whole frame (checking the frame's checksums). When it does not, the output might still
// be legitimate (the last block is usually short), so we decode block by block ourselves
// with the library's raw-block decoder and stop as soon as the running total passes the
// limit: memory stays within the limit plus one block (4 MiB at most). That fallback does
// not verify the optional xxHash checksums; integrity is already covered by the batch's
// CRC-32C, which is computed over these compressed bytes.

import lz4 from 'lz4-napi';
import { CompressionError, describe } from './compression-error.ts';

const FRAME_MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;
/** A linked block may reference up to 64 KiB of the output before it. */
const WINDOW_BYTES = 64 * 1024;

export function lz4Compress(data: Buffer): Buffer {
  return lz4.compressFrameSync(data);
}

interface Block {
  /** Start of the block's data (after its 4-byte size). */
  readonly start: number;
  readonly size: number;
  readonly stored: boolean;
}

interface Frame {
  readonly blockMaxBytes: number;
  readonly independent: boolean;
  /** Declared content size, or -1 when the frame does not carry one. */
  readonly contentSize: number;
  readonly blocks: readonly Block[];
  /** Upper bound on the decompressed size. */
  readonly bound: number;
}

export function lz4Decompress(data: Buffer, maxOutputBytes: number): Buffer {
  const frame = parseFrame(data);
  if (frame.contentSize > maxOutputBytes) {
    throw new CompressionError('lz4', 'too_large', `frame declares ${frame.contentSize} bytes, limit is ${maxOutputBytes}`);
  }
  if (frame.bound > maxOutputBytes) return decodeBlocks(data, frame, maxOutputBytes);
  let out: Buffer;
  try {
    out = lz4.decompressFrameSync(data);
  } catch (err) {
    throw new CompressionError('lz4', 'corrupt', describe(err), err);
  }
  if (out.length > maxOutputBytes) throw new CompressionError('lz4', 'too_large', `output exceeds ${maxOutputBytes} bytes`);
  return out;
}

function corrupt(message: string): never {
  throw new CompressionError('lz4', 'corrupt', message);
}

function parseFrame(data: Buffer): Frame {
  if (data.length < 7) corrupt('frame header truncated');
  if (data.readUInt32LE(0) !== FRAME_MAGIC) corrupt('not an LZ4 frame (bad magic)');
  const flg = data[4]!;
  const bd = data[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) corrupt(`unsupported frame version in FLG 0x${flg.toString(16)}`);
  if ((flg & FLG_RESERVED) !== 0 || (bd & 0x8f) !== 0) corrupt('reserved frame descriptor bits are set');
  if ((flg & FLG_DICT_ID) !== 0) throw new CompressionError('lz4', 'unsupported', 'frames with a dictionary id are not supported');
  const blockMaxId = (bd >> 4) & 0x07;
  if (blockMaxId < 4) corrupt(`invalid block maximum size id ${blockMaxId}`);
  const blockMaxBytes = 1 << (2 * blockMaxId + 8);
  let pos = 6;
  let contentSize = -1;
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    if (data.length < pos + 9) corrupt('frame header truncated');
    const lo = data.readUInt32LE(pos);
    const hi = data.readUInt32LE(pos + 4);
    // Anything at or above 2^53 is far beyond any limit; saturate instead of rounding.
    contentSize = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 4294967296 + lo;
    pos += 8;
  }
  pos += 1; // header checksum, verified by the library (or not needed, see above)
  const blockChecksumBytes = (flg & FLG_BLOCK_CHECKSUM) !== 0 ? 4 : 0;
  const blocks: Block[] = [];
  let bound = 0;
  for (;;) {
    if (data.length - pos < 4) corrupt(`block size truncated at byte ${pos}`);
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const stored = (word & BLOCK_UNCOMPRESSED) !== 0;
    const size = stored ? word - BLOCK_UNCOMPRESSED : word;
    if (size > blockMaxBytes) corrupt(`block of ${size} bytes exceeds the frame's ${blockMaxBytes}-byte maximum`);
    if (size + blockChecksumBytes > data.length - pos) corrupt(`block of ${size} bytes at byte ${pos - 4} overruns the input`);
    blocks.push({ start: pos, size, stored });
    bound += stored ? size : blockMaxBytes;
    pos += size + blockChecksumBytes;
  }
  if ((flg & FLG_CONTENT_CHECKSUM) !== 0 && data.length - pos < 4) corrupt('content checksum truncated');
  return { blockMaxBytes, independent: (flg & FLG_BLOCK_INDEPENDENT) !== 0, contentSize, blocks, bound };
}

function decodeBlocks(data: Buffer, frame: Frame, maxOutputBytes: number): Buffer {
  const out: Buffer[] = [];
  let total = 0;
  for (const block of frame.blocks) {
    let chunk: Buffer;
    if (block.stored) {
      chunk = data.subarray(block.start, block.start + block.size);
    } else {
      // The raw-block decoder takes a little-endian size prefix as the output capacity;
      // it returns the actual (shorter) output, or fails if the block would overflow it.
      const prefixed = Buffer.allocUnsafe(4 + block.size);
      prefixed.writeUInt32LE(frame.blockMaxBytes, 0);
      data.copy(prefixed, 4, block.start, block.start + block.size);
      try {
        chunk = frame.independent ? lz4.uncompressSync(prefixed) : lz4.uncompressSync(prefixed, window(out));
      } catch (err) {
        throw new CompressionError('lz4', 'corrupt', describe(err), err);
      }
    }
    total += chunk.length;
    if (total > maxOutputBytes) throw new CompressionError('lz4', 'too_large', `output exceeds ${maxOutputBytes} bytes`);
    out.push(chunk);
  }
  if (frame.contentSize !== -1 && frame.contentSize !== total) {
    corrupt(`frame declares ${frame.contentSize} bytes but decoded to ${total}`);
  }
  return Buffer.concat(out, total);
}

/** The last 64 KiB of output so far: the dictionary a linked block may reference. */
function window(out: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  let need = WINDOW_BYTES;
  for (let i = out.length - 1; i >= 0 && need > 0; i--) {
    const chunk = out[i]!;
    const take = Math.min(need, chunk.length);
    parts.unshift(chunk.subarray(chunk.length - take));
    need -= take;
  }
  return Buffer.concat(parts);
}
