// Kafka request framing: each request is a 4-byte big-endian signed size, then that many
// bytes. FrameReader turns arbitrary TCP chunks into frames without quadratic copying:
// chunks stay in a list, a frame inside one chunk is a zero-copy subarray, and a frame
// that spans chunks is copied exactly once.
//
// It decides no policy. The connection peeks at the size first and chooses (reject, wait
// for budget, accept) before the body is buffered; the reader never grows on its own.

export const SIZE_PREFIX_BYTES = 4;

const EMPTY = Buffer.alloc(0);
/** Consumed chunk slots are compacted away once this many pile up at the front. */
const COMPACT_AFTER_CHUNKS = 64;

export class FrameReader {
  private chunks: Buffer[] = [];
  /** Index of the first chunk with unconsumed bytes. */
  private first = 0;
  /** Bytes of chunks[first] already consumed. */
  private offset = 0;
  private buffered = 0;

  /** Received bytes not yet returned as frames (prefixes included). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next frame's declared size once its 4-byte prefix has arrived (may be negative or
   * huge: the caller judges it), else undefined. Consumes nothing.
   */
  peekSize(): number | undefined {
    if (this.buffered < SIZE_PREFIX_BYTES) return undefined;
    const head = this.chunks[this.first]!;
    if (head.length - this.offset >= SIZE_PREFIX_BYTES) return head.readInt32BE(this.offset);
    // The prefix straddles chunks (rare): assemble it a byte at a time.
    let value = 0;
    let index = this.first;
    let at = this.offset;
    for (let n = 0; n < SIZE_PREFIX_BYTES; n++) {
      let chunk = this.chunks[index]!;
      while (at >= chunk.length) {
        index++;
        at = 0;
        chunk = this.chunks[index]!;
      }
      // `|` keeps the result a signed int32, exactly like readInt32BE.
      value = (value << 8) | chunk[at]!;
      at++;
    }
    return value;
  }

  /**
   * Consumes the next frame of `sizeBytes` (the value peekSize returned) and returns its
   * body without the prefix, or undefined (consuming nothing) until all of it has arrived.
   */
  takeFrame(sizeBytes: number): Buffer | undefined {
    if (this.buffered < SIZE_PREFIX_BYTES + sizeBytes) return undefined;
    this.skip(SIZE_PREFIX_BYTES);
    if (sizeBytes === 0) return EMPTY;
    const head = this.chunks[this.first]!;
    if (head.length - this.offset >= sizeBytes) {
      const frame = head.subarray(this.offset, this.offset + sizeBytes);
      this.skip(sizeBytes);
      return frame;
    }
    const frame = Buffer.allocUnsafe(sizeBytes);
    let written = 0;
    while (written < sizeBytes) {
      const chunk = this.chunks[this.first]!;
      const n = Math.min(chunk.length - this.offset, sizeBytes - written);
      chunk.copy(frame, written, this.offset, this.offset + n);
      written += n;
      this.skip(n);
    }
    return frame;
  }

  /** Drops everything buffered (the connection is closing or shutting down). */
  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.buffered = 0;
  }

  private skip(bytes: number): void {
    this.buffered -= bytes;
    let left = bytes;
    while (left > 0) {
      const chunk = this.chunks[this.first]!;
      const available = chunk.length - this.offset;
      if (available > left) {
        this.offset += left;
        return;
      }
      left -= available;
      // Drop the reference so a consumed chunk can be collected (unless a frame subarray
      // still holds it).
      this.chunks[this.first] = EMPTY;
      this.first++;
      this.offset = 0;
    }
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= COMPACT_AFTER_CHUNKS && this.first * 2 >= this.chunks.length) {
      // Amortised O(1) per chunk: a 100 MiB frame arriving in 64 KiB chunks does not
      // shift a 1,600-entry array once per chunk.
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}
