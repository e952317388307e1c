// Sequential, validating reader of one segment file: header first, then record by
// record. Used by recovery (validate only, find the longest valid prefix) and by replay
// (validate and return payloads).
//
// Memory stays bounded: the file is read through one reusable window of `chunkBytes`;
// only a payload the caller asked for and that is larger than the window gets a buffer
// of its own. A length field is never trusted for an allocation before it has been
// checked against the bytes actually left in the file.
//
// A checksum mismatch is confirmed by reading the frame a second time, bypassing the
// window: a transient bad read (a flipped bit on the bus) must not make recovery cut
// away durable records.

import type { FileHandle } from './fs.ts';
import {
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  decodeFrameHeader,
  decodeSegmentHeader,
  frameCrcContinue,
  frameCrcStart,
} from './segment-format.ts';
import type { HeaderDecode } from './segment-format.ts';

export type ReadResult =
  | { readonly kind: 'record'; readonly seq: number; readonly payload: Buffer | undefined; readonly positionBytes: number; readonly frameBytes: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'invalid'; readonly positionBytes: number; readonly reason: string };

export const DEFAULT_READ_CHUNK_BYTES = 1024 * 1024;

export class SegmentReader {
  private readonly file: FileHandle;
  private readonly endBytes: number;
  private readonly chunkBytes: number;
  private window: Buffer;
  private windowStart = 0;
  private windowLength = 0;
  /** File position of the next frame. */
  positionBytes = SEGMENT_HEADER_BYTES;

  /** Reads `file` up to `endBytes` (its size, or the durable end for an active segment). */
  constructor(file: FileHandle, endBytes: number, chunkBytes = DEFAULT_READ_CHUNK_BYTES) {
    this.file = file;
    this.endBytes = endBytes;
    this.chunkBytes = chunkBytes;
    this.window = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(endBytes, SEGMENT_HEADER_BYTES)));
  }

  async readHeader(): Promise<HeaderDecode> {
    const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
    const got = await readFully(this.file, buf, 0, Math.min(SEGMENT_HEADER_BYTES, this.endBytes), 0);
    this.positionBytes = SEGMENT_HEADER_BYTES;
    return decodeSegmentHeader(buf.subarray(0, got));
  }

  /** The next record, the clean end of the segment, or why the bytes at the position are not a valid record. */
  async next(wantPayload: boolean): Promise<ReadResult> {
    const first = await this.readFrame(wantPayload, false);
    if (first.kind !== 'invalid' || !first.reason.startsWith('checksum')) return first;
    // Confirm a mismatch with a fresh read before declaring the bytes bad.
    return this.readFrame(wantPayload, true);
  }

  private async readFrame(wantPayload: boolean, bypassWindow: boolean): Promise<ReadResult> {
    const pos = this.positionBytes;
    const left = this.endBytes - pos;
    if (left === 0) return { kind: 'end' };
    if (left < FRAME_HEADER_BYTES) return invalid(pos, `torn frame header (${left} of ${FRAME_HEADER_BYTES} bytes)`);
    if (bypassWindow) this.windowLength = 0;

    const head = await this.view(pos, FRAME_HEADER_BYTES);
    if (head === undefined) return invalid(pos, 'file shorter than its size');
    const frame = decodeFrameHeader(head, 0);
    if (frame.seq === undefined) return invalid(pos, 'sequence number out of range');
    const n = frame.payloadBytes;
    if (n > left - FRAME_HEADER_BYTES) return invalid(pos, `torn record: length ${n} but ${left - FRAME_HEADER_BYTES} bytes left`);
    let crc = frameCrcStart(head, 0);

    const payloadPos = pos + FRAME_HEADER_BYTES;
    let payload: Buffer | undefined;
    if (n <= this.chunkBytes) {
      const body = await this.view(payloadPos, n);
      if (body === undefined) return invalid(pos, 'file shorter than its size');
      crc = frameCrcContinue(body, crc);
      if (wantPayload) payload = Buffer.from(body);
    } else if (wantPayload) {
      payload = Buffer.allocUnsafe(n);
      if ((await readFully(this.file, payload, 0, n, payloadPos)) < n) return invalid(pos, 'file shorter than its size');
      crc = frameCrcContinue(payload, crc);
    } else {
      for (let done = 0; done < n; ) {
        const part = await this.view(payloadPos + done, Math.min(this.chunkBytes, n - done));
        if (part === undefined) return invalid(pos, 'file shorter than its size');
        crc = frameCrcContinue(part, crc);
        done += part.length;
      }
    }
    if ((crc >>> 0) !== frame.crc) return invalid(pos, `checksum mismatch in record of ${n} bytes`);
    this.positionBytes = payloadPos + n;
    return { kind: 'record', seq: frame.seq, payload, positionBytes: pos, frameBytes: FRAME_HEADER_BYTES + n };
  }

  /**
   * `lengthBytes` (≤ chunkBytes) bytes at `pos` as a view into the window, refilled from
   * the file when needed; undefined when the file ends first. The view is only valid
   * until the next call.
   */
  private async view(pos: number, lengthBytes: number): Promise<Buffer | undefined> {
    const end = pos + lengthBytes;
    if (pos < this.windowStart || end > this.windowStart + this.windowLength) {
      const want = Math.min(this.window.length, this.endBytes - pos);
      this.windowLength = await readFully(this.file, this.window, 0, want, pos);
      this.windowStart = pos;
      if (this.windowLength < lengthBytes) return undefined;
    }
    const from = pos - this.windowStart;
    return this.window.subarray(from, from + lengthBytes);
  }
}

function invalid(positionBytes: number, reason: string): ReadResult {
  return { kind: 'invalid', positionBytes, reason };
}

/** Reads until `lengthBytes` are in or the file ends; resolves with the bytes read. */
export async function readFully(file: FileHandle, buf: Uint8Array, offset: number, lengthBytes: number, positionBytes: number): Promise<number> {
  let done = 0;
  while (done < lengthBytes) {
    const n = await file.read(buf, offset + done, lengthBytes - done, positionBytes + done);
    if (n <= 0) break;
    done += n;
  }
  return done;
}
