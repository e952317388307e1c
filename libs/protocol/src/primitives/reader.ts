// Reads Kafka primitive types from a Buffer with explicit bounds checks. Every check
// happens before the read, so a malformed length can never cause a large allocation or
// a RangeError: it becomes a DecodeError naming the offset. Byte fields are returned as
// zero-copy subarrays of the input.

import { DecodeError } from './decode-error.ts';

const TWO_POW_32 = 4294967296;
/** int64 high words whose value is a safe JavaScript integer: [-2^21, 2^21 - 1], except -2^53 itself. */
const SAFE_HIGH_MIN = -2097152;
const SAFE_HIGH_MAX = 2097151;

export class Reader {
  readonly buf: Buffer;
  pos: number;
  /** Exclusive end of the readable region (a frame may be a slice of a larger buffer). */
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  fail(kind: DecodeError['kind'], message: string, at: number = this.pos): never {
    throw new DecodeError(kind, message, at);
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      this.fail('truncated', `${what} needs ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    this.need(1, 'bool');
    return this.buf[this.pos++] !== 0;
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a number without BigInt; values beyond +-(2^53 - 1) are rejected, not rounded. */
  int64(): number {
    this.need(8, 'int64');
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    if (hi < SAFE_HIGH_MIN || hi > SAFE_HIGH_MAX || (hi === SAFE_HIGH_MIN && lo === 0)) {
      this.fail('unsafe_integer', 'int64 outside the safe integer range');
    }
    this.pos += 8;
    return hi * TWO_POW_32 + lo;
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes). */
  uvarint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (pos >= this.end) this.fail('truncated', 'varint runs past the end');
      const b = buf[pos++]!;
      if (shift === 28 && b > 0x0f) this.fail('invalid_varint', 'unsigned varint exceeds 32 bits', this.pos);
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = pos;
        return result;
      }
    }
    return this.fail('invalid_varint', 'unsigned varint longer than 5 bytes');
  }

  /** Zigzag-encoded signed 32-bit varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zigzag-encoded signed 64-bit varint, as a safe number. */
  varlong(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= this.end) this.fail('truncated', 'varlong runs past the end');
      const b = buf[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        // Zigzag values up to 2^54 - 2 decode to safe integers.
        if (result > 18014398509481982) this.fail('unsafe_integer', 'varlong outside the safe integer range', this.pos);
        this.pos = pos;
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
    }
    return this.fail('invalid_varint', 'varlong longer than 10 bytes');
  }

  /** A 16-byte UUID, returned in Kafka's textual form: URL-safe base64 without padding. */
  uuid(): string {
    this.need(16, 'uuid');
    const s = this.buf.toString('base64url', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  private text(len: number): string {
    this.need(len, 'string');
    const start = this.pos;
    this.pos += len;
    return this.buf.toString('utf8', start, start + len);
  }

  /** Classic string: int16 length, -1 is null. */
  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < 0) this.fail('invalid_length', `string length ${len}`, this.pos - 2);
    return this.text(len);
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) this.fail('invalid_value', 'null string in a non-nullable field', this.pos - 2);
    return s;
  }

  /** Compact string: unsigned varint length + 1, 0 is null. */
  nullableCompactString(): string | null {
    const at = this.pos;
    const n = this.uvarint();
    if (n === 0) return null;
    if (n - 1 > 0x7fff) this.fail('oversized', `compact string of ${n - 1} bytes`, at);
    return this.text(n - 1);
  }

  compactString(): string {
    const at = this.pos;
    const s = this.nullableCompactString();
    if (s === null) this.fail('invalid_value', 'null string in a non-nullable field', at);
    return s;
  }

  private slice(len: number, what: string): Buffer {
    this.need(len, what);
    const start = this.pos;
    this.pos += len;
    return this.buf.subarray(start, start + len);
  }

  /** Classic bytes: int32 length, -1 is null. Zero-copy. */
  nullableBytes(): Buffer | null {
    const at = this.pos;
    const len = this.int32();
    if (len === -1) return null;
    if (len < 0) this.fail('invalid_length', `bytes length ${len}`, at);
    return this.slice(len, 'bytes');
  }

  bytes(): Buffer {
    const at = this.pos;
    const b = this.nullableBytes();
    if (b === null) this.fail('invalid_value', 'null bytes in a non-nullable field', at);
    return b;
  }

  /** Compact bytes: unsigned varint length + 1, 0 is null. Zero-copy. */
  nullableCompactBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.slice(n - 1, 'bytes');
  }

  compactBytes(): Buffer {
    const at = this.pos;
    const b = this.nullableCompactBytes();
    if (b === null) this.fail('invalid_value', 'null bytes in a non-nullable field', at);
    return b;
  }

  /**
   * Classic array length: int32, -1 is null. A count larger than the bytes left cannot
   * be honest when every element takes at least `minElementBytes`, so it is rejected
   * before anything is allocated.
   */
  arrayLength(minElementBytes: number): number {
    const at = this.pos;
    const n = this.int32();
    if (n < -1) this.fail('invalid_length', `array length ${n}`, at);
    if (n > 0 && n * minElementBytes > this.end - this.pos) {
      this.fail('invalid_length', `array of ${n} elements in ${this.end - this.pos} bytes`, at);
    }
    return n;
  }

  /** Compact array length: unsigned varint count + 1, 0 is null (returned as -1). */
  compactArrayLength(minElementBytes: number): number {
    const at = this.pos;
    const n = this.uvarint() - 1;
    if (n > 0 && n * minElementBytes > this.end - this.pos) {
      this.fail('invalid_length', `array of ${n} elements in ${this.end - this.pos} bytes`, at);
    }
    return n;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }

  /** Raw bytes of a known length (unknown tagged fields). Zero-copy. */
  raw(n: number): Buffer {
    return this.slice(n, 'raw bytes');
  }
}
