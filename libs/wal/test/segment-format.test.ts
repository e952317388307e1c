// The byte layout of segments and the trim checkpoint: fixed sizes, round trips, and
// that every damaged header is rejected.

import { describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  decodeFrameHeader,
  decodeSegmentHeader,
  encodeFrameHeader,
  encodeSegmentHeader,
  frameCrcContinue,
  frameCrcStart,
  parseSegmentFileName,
  segmentFileName,
} from '../src/segment-format.ts';
import { TRIM_CHECKPOINT_BYTES, decodeTrimCheckpoint, encodeTrimCheckpoint } from '../src/trim-checkpoint.ts';

describe('segment format v1', () => {
  it('has the documented sizes', () => {
    expect(SEGMENT_HEADER_BYTES).toBe(28);
    expect(FRAME_HEADER_BYTES).toBe(16);
    expect(TRIM_CHECKPOINT_BYTES).toBe(20);
  });

  it('names segments so they sort by base seq', () => {
    const seqs = [0, 9, 10, 123_456, 2 ** 53 - 1];
    const names = seqs.map(segmentFileName);
    expect([...names].sort()).toEqual(names);
    expect(names.map(parseSegmentFileName)).toEqual(seqs);
    expect(parseSegmentFileName('trim.checkpoint')).toBeUndefined();
    expect(parseSegmentFileName('0000000000000000001.wal')).toBeUndefined();
  });

  it('round-trips the header and rejects any single flipped bit', () => {
    const header = encodeSegmentHeader(2 ** 40 + 7, 1_700_000_000_123);
    expect(header.readUInt32BE(0)).toBe(0x53574c47);
    expect(decodeSegmentHeader(header)).toEqual({ ok: true, baseSeq: 2 ** 40 + 7, createdAtMs: 1_700_000_000_123 });
    for (let bit = 0; bit < SEGMENT_HEADER_BYTES * 8; bit++) {
      const damaged = Buffer.from(header);
      damaged[bit >> 3] = damaged[bit >> 3]! ^ (1 << (bit & 7));
      expect(decodeSegmentHeader(damaged).ok).toBe(false);
    }
    expect(decodeSegmentHeader(header.subarray(0, 27))).toMatchObject({ ok: false });
  });

  it('frames carry length, seq and a CRC over length, seq and payload', () => {
    const chunks = [Buffer.from('hello '), Buffer.from('world')];
    const hdr = encodeFrameHeader(42, 11, chunks);
    const frame = decodeFrameHeader(hdr, 0);
    expect(frame).toMatchObject({ payloadBytes: 11, seq: 42 });
    let crc = frameCrcStart(hdr, 0);
    crc = frameCrcContinue(Buffer.from('hello world'), crc);
    expect(crc >>> 0).toBe(frame.crc);
    // A different length with the same bytes does not verify.
    const other = Buffer.from(hdr);
    other.writeUInt32BE(10, 0);
    expect(frameCrcContinue(Buffer.from('hello worl'), frameCrcStart(other, 0)) >>> 0).not.toBe(frame.crc);
  });

  it('round-trips the trim checkpoint and rejects damage', () => {
    const bytes = encodeTrimCheckpoint(987_654_321);
    expect(decodeTrimCheckpoint(bytes)).toEqual({ ok: true, trimSeq: 987_654_321 });
    const damaged = Buffer.from(bytes);
    damaged[10] = damaged[10]! ^ 4;
    expect(decodeTrimCheckpoint(damaged).ok).toBe(false);
    expect(decodeTrimCheckpoint(bytes.subarray(0, 19)).ok).toBe(false);
  });
});
