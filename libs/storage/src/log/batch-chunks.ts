// Walks record batches laid end to end across consecutive chunks (the block views of an
// extent read from the block cache) without joining the chunks: a batch inside one
// chunk comes out as a view of it, and only a batch that straddles chunks is copied
// into its own buffer. Reads only the header fields it needs (base offset, length,
// last offset delta); the batches were validated when they were produced.

import { readInt64 } from '@stratus/protocol';

/** Bytes of a v2 batch header; a shorter tail cannot start a batch. */
const BATCH_HEADER_BYTES = 61;
const LENGTH_AT = 8;
const LAST_OFFSET_DELTA_AT = 23;
/** The header fields read here lie in its first 27 bytes. */
const FIELDS_BYTES = 27;

export interface ChunkedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly batch: Buffer;
}

export class BatchChunkCursor {
  private readonly chunks: readonly Buffer[];
  private index = 0;
  private offset = 0;
  private remaining: number;
  private readonly scratch = Buffer.allocUnsafe(FIELDS_BYTES);

  constructor(chunks: readonly Buffer[]) {
    this.chunks = chunks;
    this.remaining = chunks.reduce((n, c) => n + c.length, 0);
  }

  /** The next batch's offsets and size, without consuming it; undefined at the end. */
  peek(): { baseOffset: number; lastOffset: number; size: number } | undefined {
    if (this.remaining < BATCH_HEADER_BYTES) return undefined;
    this.skipEmpty();
    const chunk = this.chunks[this.index]!;
    const fields = chunk.length - this.offset >= FIELDS_BYTES ? chunk : this.gather(FIELDS_BYTES);
    const at = fields === chunk ? this.offset : 0;
    const baseOffset = readInt64(fields, at);
    const size = fields.readInt32BE(at + LENGTH_AT) + 12;
    const lastOffset = baseOffset + fields.readInt32BE(at + LAST_OFFSET_DELTA_AT);
    if (size > this.remaining) return undefined; // a cut-off batch at the end of the range
    return { baseOffset, lastOffset, size };
  }

  /** The next batch (of `size` bytes, from peek): a view when it lies in one chunk, else a copy. */
  take(size: number): Buffer {
    this.skipEmpty();
    const chunk = this.chunks[this.index]!;
    let out: Buffer;
    if (chunk.length - this.offset >= size) {
      out = chunk.subarray(this.offset, this.offset + size);
      this.advance(size);
    } else {
      out = Buffer.allocUnsafe(size);
      let written = 0;
      while (written < size) {
        this.skipEmpty();
        const c = this.chunks[this.index]!;
        const n = Math.min(c.length - this.offset, size - written);
        c.copy(out, written, this.offset, this.offset + n);
        written += n;
        this.advance(n);
      }
    }
    return out;
  }

  /** Skips a batch of `size` bytes. */
  skip(size: number): void {
    let left = size;
    while (left > 0) {
      this.skipEmpty();
      const n = Math.min(this.chunks[this.index]!.length - this.offset, left);
      this.advance(n);
      left -= n;
    }
  }

  private advance(n: number): void {
    this.offset += n;
    this.remaining -= n;
  }

  private skipEmpty(): void {
    while (this.index < this.chunks.length && this.offset >= this.chunks[this.index]!.length) {
      this.index++;
      this.offset = 0;
    }
  }

  /** Copies the next `n` bytes (across chunks) into the scratch buffer, consuming nothing. */
  private gather(n: number): Buffer {
    let index = this.index;
    let offset = this.offset;
    let written = 0;
    while (written < n) {
      const c = this.chunks[index]!;
      const k = Math.min(c.length - offset, n - written);
      c.copy(this.scratch, written, offset, offset + k);
      written += k;
      index++;
      offset = 0;
    }
    return this.scratch;
  }
}
