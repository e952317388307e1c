// Snappy in the two shapes Kafka clients send: the Java client wraps raw snappy blocks in
// xerial's snappy-java stream framing, librdkafka and franz-go send one raw block. We read
// both (sniffing the xerial magic, as Kafka and librdkafka do) and write xerial by default
// because every client can read it. The snappy library allocates whatever a block
// declares, so each block's declared length is checked against the limit before it is
// handed over.

import snappy from 'snappy';
import { CompressionError, describe } from './compression-error.ts';

/** 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00 */
export const XERIAL_MAGIC: Buffer = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, int32 version, int32 minimum compatible version. */
export const XERIAL_HEADER_BYTES = 16;
const XERIAL_VERSION = 1;
const XERIAL_COMPATIBLE = 1;
/** snappy-java's default SnappyOutputStream block size, which the Java client uses. */
const XERIAL_BLOCK_BYTES = 32 * 1024;

export type SnappyFormat = 'xerial' | 'raw';

export function snappyCompress(data: Buffer, format: SnappyFormat = 'xerial'): Buffer {
  if (format === 'raw') return snappy.compressSync(data);
  const parts: Buffer[] = [];
  const header = Buffer.allocUnsafe(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(XERIAL_VERSION, 8);
  header.writeInt32BE(XERIAL_COMPATIBLE, 12);
  parts.push(header);
  for (let at = 0; at < data.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappy.compressSync(data.subarray(at, Math.min(at + XERIAL_BLOCK_BYTES, data.length)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

export function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_MAGIC.length && XERIAL_MAGIC.equals(data.subarray(0, XERIAL_MAGIC.length));
}

export function snappyDecompress(data: Buffer, maxOutputBytes: number): Buffer {
  if (!isXerial(data)) return rawBlock(data, maxOutputBytes, maxOutputBytes);
  if (data.length < XERIAL_HEADER_BYTES) throw new CompressionError('snappy', 'corrupt', 'xerial header truncated');
  // The version fields are not checked: snappy-java itself only ever wrote 1, and
  // Kafka's reader ignores them too.
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (data.length - pos < 4) throw new CompressionError('snappy', 'corrupt', `xerial block length truncated at byte ${pos}`);
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) {
      throw new CompressionError('snappy', 'corrupt', `xerial block of ${len} bytes at byte ${pos - 4} overruns the input`);
    }
    const block = rawBlock(data.subarray(pos, pos + len), maxOutputBytes - total, maxOutputBytes);
    pos += len;
    total += block.length;
    blocks.push(block);
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}

/**
 * A raw snappy block: uvarint uncompressed length, then the compressed stream. `allowance`
 * is what is left of `limit` after the blocks before this one.
 */
function rawBlock(block: Buffer, allowance: number, limit: number): Buffer {
  const declared = declaredLength(block);
  if (declared > allowance) {
    throw new CompressionError('snappy', 'too_large', `output exceeds ${limit} bytes (a block declares ${declared})`);
  }
  let out: string | Buffer;
  try {
    out = snappy.uncompressSync(block, { asBuffer: true });
  } catch (err) {
    throw new CompressionError('snappy', 'corrupt', describe(err), err);
  }
  // The library checks the output against the declared length; this guards the types.
  if (typeof out === 'string' || out.length !== declared) {
    throw new CompressionError('snappy', 'corrupt', `block declares ${declared} bytes but decoded to ${out.length}`);
  }
  return out;
}

function declaredLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const b = block[i];
    if (b === undefined) throw new CompressionError('snappy', 'corrupt', 'block length truncated');
    result += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (result > 0xffffffff) break;
      return result;
    }
  }
  throw new CompressionError('snappy', 'corrupt', 'block length is not a 32-bit varint');
}
