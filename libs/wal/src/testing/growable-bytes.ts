// A byte array that grows like a file: writes past the end extend it (the gap reads as
// zeros, like a sparse file), truncation shrinks or zero-extends it. Backing store of
// MemoryFileSystem's file contents, both the page-cache view and the durable view.

export class GrowableBytes {
  private buf: Buffer;
  private length = 0;

  constructor(initial?: Uint8Array) {
    this.buf = Buffer.alloc(Math.max(64, initial?.length ?? 0));
    if (initial !== undefined) {
      this.buf.set(initial, 0);
      this.length = initial.length;
    }
  }

  get size(): number {
    return this.length;
  }

  write(positionBytes: number, src: Uint8Array): void {
    const end = positionBytes + src.length;
    this.ensure(end);
    // Bytes between the old end and the write position are already zero: the buffer
    // is zeroed beyond `length` at all times.
    this.buf.set(src, positionBytes);
    if (end > this.length) this.length = end;
  }

  truncate(sizeBytes: number): void {
    if (sizeBytes < this.length) this.buf.fill(0, sizeBytes, this.length);
    else this.ensure(sizeBytes);
    this.length = sizeBytes;
  }

  /** Copies up to `lengthBytes` from `positionBytes` into `target[offset..]`; returns the count. */
  readInto(target: Uint8Array, offset: number, lengthBytes: number, positionBytes: number): number {
    if (positionBytes >= this.length) return 0;
    const n = Math.min(lengthBytes, this.length - positionBytes);
    target.set(this.buf.subarray(positionBytes, positionBytes + n), offset);
    return n;
  }

  /** XORs one byte in place (media corruption). */
  xor(positionBytes: number, mask: number): void {
    if (positionBytes < this.length) this.buf[positionBytes] = this.buf[positionBytes]! ^ mask;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }

  clone(): GrowableBytes {
    return new GrowableBytes(this.buf.subarray(0, this.length));
  }

  private ensure(capacity: number): void {
    if (capacity <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(capacity, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.length), 0);
    this.buf = next;
  }
}
