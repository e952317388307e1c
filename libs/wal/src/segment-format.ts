// Byte layout of a WAL segment file, format version 1: pure encode/decode, no I/O.
// A new version is added beside this one (new magic or version number), never edited
// into it: segments written by an older broker must stay readable after an upgrade.
//
// A segment is one file named `<baseSeq, 20 decimal digits>.wal`, so names sort by
// sequence number. It holds a header, then records back to back, nothing else (no
// padding, no footer: the end of the last valid record is the end of the segment).
//
// Segment header (SEGMENT_HEADER_BYTES = 4 + 2 + 2 + 8 + 8 + 4 = 28), big-endian:
//   offset  size  field
//        0     4  magic        0x53574C47 ("SWLG")
//        4     2  version      1
//        6     2  flags        0 (reserved; readers reject other values)
//        8     8  baseSeq      sequence number of the first record (u64, ≤ 2^53 − 1)
//       16     8  createdAtMs  wall-clock creation time, for operators only
//       24     4  headerCrc    CRC-32C of bytes [0, 24)
//
// Record frame (FRAME_HEADER_BYTES = 4 + 4 + 8 = 16, then the payload):
//   offset  size  field
//        0     4  payloadBytes  n (u32)
//        4     4  crc           CRC-32C of payloadBytes ‖ seq ‖ payload, i.e. frame
//                               bytes [0, 4) followed by [8, 16 + n)
//        8     8  seq           this record's sequence number (u64, ≤ 2^53 − 1)
//       16     n  payload
//
// Why the sequence number is stored although it is implied by position: recovery then
// checks every record against the one it expects, so a segment that is stale (left
// from an earlier run), misnamed or spliced can never pass as the continuation of the
// log. The CRC covers the length so a flipped length bit cannot move the frame boundary
// undetected, and a zero-filled tail (a file extended but not written) never verifies.

import { crc32c } from './crc32c.ts';

export const SEGMENT_MAGIC = 0x53574c47;
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 4 + 2 + 2 + 8 + 8 + 4;
export const FRAME_HEADER_BYTES = 4 + 4 + 8;
/** Largest payload the format can describe (u32 length). Options limit it much further. */
export const FORMAT_MAX_PAYLOAD_BYTES = 0xffff_ffff;

const SEGMENT_SUFFIX = '.wal';
const SEGMENT_NAME = /^(\d{20})\.wal$/;
const TWO_32 = 2 ** 32;

export function segmentFileName(baseSeq: number): string {
  return String(baseSeq).padStart(20, '0') + SEGMENT_SUFFIX;
}

/** The base sequence number a segment file name claims, or undefined for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (!m) return undefined;
  const seq = Number(m[1]);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

export function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

/** Reads a u64 as a number; undefined when it exceeds 2^53 − 1 (never written by us). */
export function readU64(buf: Buffer, offset: number): number | undefined {
  const hi = buf.readUInt32BE(offset);
  if (hi > 0x1f_ffff) return undefined;
  return hi * TWO_32 + buf.readUInt32BE(offset + 4);
}

export function encodeSegmentHeader(baseSeq: number, createdAtMs: number): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_BYTES);
  buf.writeUInt32BE(SEGMENT_MAGIC, 0);
  buf.writeUInt16BE(SEGMENT_VERSION, 4);
  buf.writeUInt16BE(0, 6);
  writeU64(buf, baseSeq, 8);
  writeU64(buf, Math.max(0, Math.floor(createdAtMs)), 16);
  buf.writeUInt32BE(crc32c(buf.subarray(0, 24)), 24);
  return buf;
}

export type HeaderDecode = { ok: true; baseSeq: number; createdAtMs: number } | { ok: false; reason: string };

export function decodeSegmentHeader(buf: Buffer): HeaderDecode {
  if (buf.length < SEGMENT_HEADER_BYTES) return { ok: false, reason: `header truncated (${buf.length} of ${SEGMENT_HEADER_BYTES} bytes)` };
  const magic = buf.readUInt32BE(0);
  if (magic !== SEGMENT_MAGIC) return { ok: false, reason: `bad magic 0x${magic.toString(16)}` };
  const crc = buf.readUInt32BE(24);
  if (crc32c(buf.subarray(0, 24)) !== crc) return { ok: false, reason: 'header checksum mismatch' };
  const version = buf.readUInt16BE(4);
  if (version !== SEGMENT_VERSION) return { ok: false, reason: `unsupported segment version ${version}` };
  const flags = buf.readUInt16BE(6);
  if (flags !== 0) return { ok: false, reason: `unknown header flags 0x${flags.toString(16)}` };
  const baseSeq = readU64(buf, 8);
  const createdAtMs = readU64(buf, 16);
  if (baseSeq === undefined || createdAtMs === undefined) return { ok: false, reason: 'header field out of range' };
  return { ok: true, baseSeq, createdAtMs };
}

/**
 * The 16-byte frame header of a record whose payload is `chunks` (written right after
 * it, without copying). The CRC is computed here, at append time: callers must not
 * modify the chunks until the append resolves.
 */
export function encodeFrameHeader(seq: number, payloadBytes: number, chunks: readonly Uint8Array[]): Buffer {
  const hdr = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  hdr.writeUInt32BE(payloadBytes, 0);
  writeU64(hdr, seq, 8);
  let crc = crc32c(hdr.subarray(8, 16), crc32c(hdr.subarray(0, 4)));
  for (const chunk of chunks) crc = crc32c(chunk, crc);
  hdr.writeUInt32BE(crc >>> 0, 4);
  return hdr;
}

export interface FrameHeader {
  readonly payloadBytes: number;
  readonly crc: number;
  /** undefined when the stored value exceeds 2^53 − 1 (corrupt). */
  readonly seq: number | undefined;
}

export function decodeFrameHeader(buf: Buffer, offset: number): FrameHeader {
  return { payloadBytes: buf.readUInt32BE(offset), crc: buf.readUInt32BE(offset + 4), seq: readU64(buf, offset + 8) };
}

/** The running CRC over a frame's length and seq fields; continue it over the payload. */
export function frameCrcStart(buf: Buffer, offset: number): number {
  return crc32c(buf.subarray(offset + 8, offset + 16), crc32c(buf.subarray(offset, offset + 4)));
}

export function frameCrcContinue(payloadPart: Uint8Array, running: number): number {
  return crc32c(payloadPart, running);
}
