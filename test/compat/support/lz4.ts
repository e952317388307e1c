// A small pure-TypeScript LZ4 frame codec, so kafkajs can produce and consume LZ4 batches in
// the compatibility suite without native code. kafkajs has no LZ4 codec of its own; the npm
// codecs (kafkajs-lz4 over the `lz4` package, lz4-napi) are native addons, and the pure-JS
// lz4js is unmaintained. It is deliberately independent of Stratus's own codec
// (libs/protocol uses lz4-napi), so the suite does not confirm Stratus with itself: the
// frames written here are decoded by the broker (Kafka's Java KafkaLZ4BlockInputStream
// validates produced batches) and by other clients.
//
// Compression: greedy hash-chain-free LZ4 (one candidate per 4-byte hash), independent
// 64 KiB blocks, no checksums besides the mandatory header checksum, exactly like Kafka's
// Java KafkaLZ4BlockOutputStream frames. Decompression: any LZ4 frame (linked or
// independent blocks, optional block and content checksums skipped, content size, dict id).

const MAGIC = 0x184d2204;
const BLOCK_MAX = 64 * 1024;
const MIN_MATCH = 4;
/** The last match must start at least 12 bytes before the end of a block. */
const MF_LIMIT = 12;
/** The last 5 bytes of a block are always literals. */
const LAST_LITERALS = 5;
const HASH_LOG = 16;

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function readU32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

function round(acc: number, input: number): number {
  return Math.imul(rotl((acc + Math.imul(input, P2)) | 0, 13), P1);
}

/** xxHash32, for the frame header checksum. */
export function xxh32(buf: Uint8Array, seed = 0): number {
  const len = buf.length;
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; i + 16 <= len; i += 16) {
      v1 = round(v1, readU32(buf, i));
      v2 = round(v2, readU32(buf, i + 4));
      v3 = round(v3, readU32(buf, i + 8));
      v4 = round(v4, readU32(buf, i + 12));
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  for (; i + 4 <= len; i += 4) h = Math.imul(rotl((h + Math.imul(readU32(buf, i), P3)) | 0, 17), P4);
  for (; i < len; i++) h = Math.imul(rotl((h + Math.imul(buf[i]!, P5)) | 0, 11), P1);
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

function writeLength(out: Uint8Array, op: number, n: number): number {
  while (n >= 255) {
    out[op++] = 255;
    n -= 255;
  }
  out[op++] = n;
  return op;
}

/** Compresses src[start, end) as one LZ4 block into out at op; returns the new op. */
function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number): number {
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  let anchor = start;
  let ip = start;
  const matchEnd = end - LAST_LITERALS;
  while (ip < end - MF_LIMIT) {
    const seq = readU32(src, ip);
    const h = Math.imul(seq, 2654435761) >>> (32 - HASH_LOG);
    const ref = table[h]!;
    table[h] = ip;
    if (ref < 0 || ip - ref > 0xffff || readU32(src, ref) !== seq) {
      ip++;
      continue;
    }
    let len = MIN_MATCH;
    while (ip + len < matchEnd && src[ref + len] === src[ip + len]) len++;
    const literals = ip - anchor;
    const tokenPos = op++;
    let token = Math.min(literals, 15) << 4;
    if (literals >= 15) op = writeLength(out, op, literals - 15);
    out.set(src.subarray(anchor, ip), op);
    op += literals;
    const offset = ip - ref;
    out[op++] = offset & 0xff;
    out[op++] = offset >>> 8;
    const extra = len - MIN_MATCH;
    token |= Math.min(extra, 15);
    if (extra >= 15) op = writeLength(out, op, extra - 15);
    out[tokenPos] = token;
    ip += len;
    anchor = ip;
  }
  const literals = end - anchor;
  out[op++] = Math.min(literals, 15) << 4;
  if (literals >= 15) op = writeLength(out, op, literals - 15);
  out.set(src.subarray(anchor, end), op);
  return op + literals;
}

/** An LZ4 frame (independent 64 KiB blocks, header checksum only), as Kafka's clients write. */
export function lz4CompressFrame(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK_MAX));
  // Worst case: every block stored, plus headers and the end mark.
  const out = new Uint8Array(7 + data.length + blocks * 4 + 4 + (BLOCK_MAX + BLOCK_MAX / 255 + 16));
  let op = 0;
  out[op++] = MAGIC & 0xff;
  out[op++] = (MAGIC >>> 8) & 0xff;
  out[op++] = (MAGIC >>> 16) & 0xff;
  out[op++] = MAGIC >>> 24;
  const flg = 0x40 | 0x20; // version 01, independent blocks
  const bd = 4 << 4; // block maximum 64 KiB
  out[op++] = flg;
  out[op++] = bd;
  out[op++] = (xxh32(Uint8Array.of(flg, bd)) >>> 8) & 0xff;
  const scratch = new Uint8Array(BLOCK_MAX + BLOCK_MAX / 255 + 16);
  for (let start = 0; start < data.length; start += BLOCK_MAX) {
    const end = Math.min(data.length, start + BLOCK_MAX);
    const size = compressBlock(data, start, end, scratch, 0);
    const stored = size >= end - start;
    const n = stored ? end - start : size;
    const header = stored ? (n | 0x80000000) >>> 0 : n;
    out[op++] = header & 0xff;
    out[op++] = (header >>> 8) & 0xff;
    out[op++] = (header >>> 16) & 0xff;
    out[op++] = header >>> 24;
    out.set(stored ? data.subarray(start, end) : scratch.subarray(0, n), op);
    op += n;
  }
  out.fill(0, op, op + 4); // end mark
  op += 4;
  return Buffer.from(out.buffer, out.byteOffset, op);
}

class Output {
  buf = new Uint8Array(1024);
  len = 0;
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}

function fail(why: string): never {
  throw new Error(`lz4: corrupt frame: ${why}`);
}

function decompressBlock(src: Uint8Array, ip: number, end: number, out: Output): void {
  while (ip < end) {
    const token = src[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= end) fail('truncated literal length');
        b = src[ip++]!;
        literals += b;
      } while (b === 255);
    }
    if (ip + literals > end) fail('literals past the block');
    out.reserve(literals);
    out.buf.set(src.subarray(ip, ip + literals), out.len);
    out.len += literals;
    ip += literals;
    if (ip >= end) return; // the last sequence has literals only
    if (ip + 2 > end) fail('truncated offset');
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > out.len) fail(`bad match offset ${offset}`);
    let len = token & 15;
    if (len === 15) {
      let b: number;
      do {
        if (ip >= end) fail('truncated match length');
        b = src[ip++]!;
        len += b;
      } while (b === 255);
    }
    len += MIN_MATCH;
    out.reserve(len);
    const buf = out.buf;
    let from = out.len - offset;
    // Byte by byte: a match may overlap the bytes it produces.
    for (let k = 0; k < len; k++) buf[out.len++] = buf[from++]!;
  }
}

export function lz4DecompressFrame(data: Uint8Array): Buffer {
  if (data.length < 7 || readU32(data, 0) !== MAGIC) fail('bad magic');
  const flg = data[4]!;
  if ((flg & 0xc0) !== 0x40) fail(`unsupported version in FLG ${flg}`);
  let ip = 6;
  if (flg & 0x08) ip += 8; // content size
  if (flg & 0x01) ip += 4; // dictionary id
  const hc = data[ip]!;
  if (hc !== ((xxh32(data.subarray(4, ip)) >>> 8) & 0xff)) fail('header checksum mismatch');
  ip++;
  const blockChecksum = (flg & 0x10) !== 0;
  const out = new Output();
  for (;;) {
    if (ip + 4 > data.length) fail('truncated block header');
    const header = readU32(data, ip);
    ip += 4;
    if (header === 0) break;
    const size = header & 0x7fffffff;
    if (ip + size > data.length) fail('block past the end');
    if (header & 0x80000000) {
      out.reserve(size);
      out.buf.set(data.subarray(ip, ip + size), out.len);
      out.len += size;
    } else {
      // Linked blocks work too: the output keeps the previous blocks' bytes before this one.
      decompressBlock(data, ip, ip + size, out);
    }
    ip += size + (blockChecksum ? 4 : 0);
  }
  return Buffer.from(out.buf.buffer, out.buf.byteOffset, out.len);
}
