// Writes Kafka primitive types into a list of chunks meant for socket.writev / cork.
// Small fields go into a growing scratch buffer; byte fields of at least
// `zeroCopyMinBytes` (record batches in a Fetch response) are not copied but appended
// as chunks of their own, so encoding a 1 MiB fetch costs a few hundred bytes of copying.

import { EncodeError } from './decode-error.ts';

const TWO_POW_32 = 4294967296;
const DEFAULT_ZERO_COPY_MIN_BYTES = 4096;

export interface WriterOptions {
  /** First scratch buffer size; it doubles when full. */
  initialBytes?: number;
  /** Byte fields at least this long are referenced, not copied. */
  zeroCopyMinBytes?: number;
}

export class Writer {
  private buf: Buffer;
  private pos = 0;
  /** Start in `buf` of the part not yet moved to `chunks`. */
  private chunkStart = 0;
  private readonly chunks: Buffer[] = [];
  private flushedBytes = 0;
  private readonly zeroCopyMinBytes: number;

  constructor(options: WriterOptions = {}) {
    this.buf = Buffer.allocUnsafe(options.initialBytes ?? 256);
    this.zeroCopyMinBytes = options.zeroCopyMinBytes ?? DEFAULT_ZERO_COPY_MIN_BYTES;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushedBytes + (this.pos - this.chunkStart);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flushScratch();
    const size = Math.max(this.buf.length * 2, n);
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.chunkStart = 0;
  }

  private flushScratch(): void {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.flushedBytes += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
  }

  bool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
  }

  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`int64 value ${v} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(v - hi * TWO_POW_32, this.pos + 4);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
  }

  uvarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new EncodeError(`uvarint value ${v} out of range`);
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** Zigzag signed 32-bit varint. */
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  /** Zigzag signed 64-bit varint from a safe integer. */
  varlong(v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`varlong value ${v} is not a safe integer`);
    let u = v >= 0 ? v * 2 : -v * 2 - 1;
    this.ensure(10);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u % 128) | 0x80;
      u = Math.floor(u / 128);
    }
    this.buf[this.pos++] = u;
  }

  uuid(v: string): void {
    this.ensure(16);
    const written = this.buf.write(v, this.pos, 16, 'base64url');
    if (written !== 16 || v.length !== 22) throw new EncodeError(`uuid ${JSON.stringify(v)} is not 16 bytes of URL-safe base64`);
    this.pos += 16;
  }

  private text(v: string, len: number): void {
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
  }

  nullableString(v: string | null): void {
    if (v === null) return this.int16(-1);
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new EncodeError(`string of ${len} bytes exceeds 32767`);
    this.int16(len);
    this.text(v, len);
  }

  nullableCompactString(v: string | null): void {
    if (v === null) return this.uvarint(0);
    const len = Buffer.byteLength(v, 'utf8');
    if (len > 0x7fff) throw new EncodeError(`string of ${len} bytes exceeds 32767`);
    this.uvarint(len + 1);
    this.text(v, len);
  }

  /** Appends raw bytes: copied when small, referenced as a chunk of their own when large. */
  raw(v: Uint8Array): void {
    if (v.length >= this.zeroCopyMinBytes) {
      this.flushScratch();
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
      this.flushedBytes += v.length;
      return;
    }
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  nullableBytes(v: Uint8Array | null): void {
    if (v === null) return this.int32(-1);
    this.int32(v.length);
    this.raw(v);
  }

  nullableCompactBytes(v: Uint8Array | null): void {
    if (v === null) return this.uvarint(0);
    this.uvarint(v.length + 1);
    this.raw(v);
  }

  /** Several byte ranges written as one bytes field (a fetch response's record batches). */
  bytesList(parts: readonly Uint8Array[], compact: boolean): void {
    let total = 0;
    for (const p of parts) total += p.length;
    if (compact) this.uvarint(total + 1);
    else this.int32(total);
    for (const p of parts) this.raw(p);
  }

  /**
   * Reserves an int32 to be filled in later (a frame's size prefix) and returns a
   * function that writes it. The slot stays in the scratch buffer it was written to.
   */
  reserveInt32(): (v: number) => void {
    this.ensure(4);
    const buf = this.buf;
    const at = this.pos;
    this.pos += 4;
    return (v: number) => buf.writeInt32BE(v, at);
  }

  /** The written bytes as chunks for writev. The writer must not be used afterwards. */
  finish(): Buffer[] {
    this.flushScratch();
    return this.chunks;
  }

  /** The written bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.flushedBytes);
  }
}
