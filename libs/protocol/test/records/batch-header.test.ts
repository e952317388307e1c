// The header layout, checked against a batch written field by field from the spec rather
// than by the builder, so the offsets table cannot agree with itself while being wrong.

import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/primitives/decode-error.ts';
import {
  BATCH_HEADER_BYTES,
  buildRecordBatch,
  compressionOf,
  crc32c,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  MIN_BATCH_LENGTH,
  readBatchHeader,
  TimestampType,
  timestampTypeOf,
  validateRecordBatches,
} from '../../src/records/index.ts';

/** An empty-records header, big endian, one field at a time. */
function handWrittenHeader(): Buffer {
  const b = Buffer.alloc(61);
  b.writeUInt32BE(0x00000001, 0); // baseOffset hi
  b.writeUInt32BE(0x00000002, 4); // baseOffset lo -> 2^32 + 2
  b.writeInt32BE(49, 8); // batchLength
  b.writeInt32BE(7, 12); // partitionLeaderEpoch
  b.writeInt8(2, 16); // magic
  b.writeInt16BE(0x0013, 21); // attributes: lz4 | transactional
  b.writeInt32BE(-1, 23); // lastOffsetDelta
  b.writeUInt32BE(0x00000172, 27); // baseTimestamp hi
  b.writeUInt32BE(0x12345678, 31); // baseTimestamp lo
  b.writeUInt32BE(0x00000172, 35); // maxTimestamp hi
  b.writeUInt32BE(0x12345679, 39); // maxTimestamp lo
  b.writeUInt32BE(0, 43); // producerId hi
  b.writeUInt32BE(42, 47); // producerId lo
  b.writeInt16BE(3, 51); // producerEpoch
  b.writeInt32BE(100, 53); // baseSequence
  b.writeInt32BE(0, 57); // recordCount
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
}

describe('readBatchHeader', () => {
  it('reads every field at its documented offset', () => {
    const h = readBatchHeader(handWrittenHeader(), 0);
    expect(h).toEqual({
      baseOffset: 2 ** 32 + 2,
      batchLength: 49,
      partitionLeaderEpoch: 7,
      magic: 2,
      crc: crc32c(handWrittenHeader().subarray(21)),
      attributes: 0x13,
      lastOffsetDelta: -1,
      baseTimestamp: 0x172 * 2 ** 32 + 0x12345678,
      maxTimestamp: 0x172 * 2 ** 32 + 0x12345679,
      producerId: 42,
      producerEpoch: 3,
      baseSequence: 100,
      recordCount: 0,
    });
  });

  it('reads a header at a non-zero position', () => {
    const blob = Buffer.concat([Buffer.alloc(5, 0xee), handWrittenHeader()]);
    expect(readBatchHeader(blob, 5).producerId).toBe(42);
  });

  it('reads negative int64s (producerId -1) exactly', () => {
    const b = buildRecordBatch({ records: [{ value: 'v' }], baseTimestamp: 0 });
    expect(readBatchHeader(b, 0).producerId).toBe(-1);
  });

  it('agrees with the builder', () => {
    const b = buildRecordBatch({
      records: [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 1500 }],
      baseOffset: 99,
      partitionLeaderEpoch: 4,
      producerId: 12,
      producerEpoch: 1,
      baseSequence: 30,
      compression: 2,
    });
    const h = readBatchHeader(b, 0);
    expect(h.batchLength + 12).toBe(b.length);
    expect(h).toMatchObject({ baseOffset: 99, partitionLeaderEpoch: 4, magic: 2, lastOffsetDelta: 1, recordCount: 2 });
    expect(h).toMatchObject({ baseTimestamp: 1000, maxTimestamp: 1500, producerId: 12, producerEpoch: 1, baseSequence: 30 });
    expect(compressionOf(h.attributes)).toBe(2);
  });

  it('throws a truncated DecodeError for fewer than 61 bytes', () => {
    const b = handWrittenHeader().subarray(0, BATCH_HEADER_BYTES - 1);
    expect(() => readBatchHeader(b, 0)).toThrow(DecodeError);
  });

  it('throws an unsafe_integer DecodeError for an int64 beyond 2^53', () => {
    const b = handWrittenHeader();
    b.writeUInt32BE(0x7fffffff, 43);
    try {
      readBatchHeader(b, 0);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).kind).toBe('unsafe_integer');
    }
  });

  it('the hand-written empty batch has the minimum batchLength', () => {
    expect(MIN_BATCH_LENGTH).toBe(49);
    const v = validateRecordBatches(handWrittenHeader(), { maxBatchBytes: 1000 });
    // Valid framing and CRC; rejected only because clients may not send empty batches.
    expect(v).toMatchObject({ ok: false, error: { kind: 'invalid_record' } });
  });
});

describe('attribute helpers', () => {
  it('decode each bit', () => {
    expect(compressionOf(0x7c | 4)).toBe(4);
    expect(timestampTypeOf(0x08)).toBe(TimestampType.LogAppendTime);
    expect(timestampTypeOf(0x77)).toBe(TimestampType.CreateTime);
    expect(isTransactional(0x10)).toBe(true);
    expect(isTransactional(0x6f)).toBe(false);
    expect(isControl(0x20)).toBe(true);
    expect(isControl(0x5f)).toBe(false);
    expect(hasDeleteHorizon(0x40)).toBe(true);
    expect(hasDeleteHorizon(0x3f)).toBe(false);
  });
});
