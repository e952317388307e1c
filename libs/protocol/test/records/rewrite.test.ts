// In-place rewrites the broker applies before storing a batch: they must leave a batch
// that still validates and decodes to what the rewrite promised.

import { describe, expect, it } from 'vitest';
import {
  buildRecordBatch,
  readBatchHeader,
  readRecords,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  timestampTypeOf,
  TimestampType,
  validateRecordBatches,
} from '../../src/records/index.ts';
import type { CompressionType } from '../../src/compression/index.ts';

const LIMITS = { maxBatchBytes: 1024 * 1024 };
const MAX_OUT = 1024 * 1024;

function sample(compression: CompressionType = 0): Buffer {
  return buildRecordBatch({
    records: [
      { key: 'a', value: '1', timestamp: 1000 },
      { key: 'b', value: '2', timestamp: 1007 },
      { key: 'c', value: '3', timestamp: 1003 },
    ],
    compression,
  });
}

function decoded(batch: Buffer): { offset: number; timestamp: number }[] {
  const result = readRecords(batch, MAX_OUT);
  if (!result.ok) throw new Error(result.error.message);
  return result.records.map((r) => ({ offset: r.offset, timestamp: r.timestamp }));
}

describe('setBaseOffset', () => {
  it('assigns offsets without touching the CRC', () => {
    const batch = sample();
    const crcBefore = batch.readUInt32BE(17);
    setBaseOffset(batch, 0, 1_234_567_890_123);
    expect(batch.readUInt32BE(17)).toBe(crcBefore);
    const v = validateRecordBatches(batch, LIMITS);
    expect(v.ok && v.batches[0]!.baseOffset).toBe(1_234_567_890_123);
    expect(decoded(batch).map((r) => r.offset)).toEqual([1_234_567_890_123, 1_234_567_890_124, 1_234_567_890_125]);
  });

  it('rewrites the right batch in a blob', () => {
    const blob = Buffer.concat([sample(), sample(3), sample()]);
    const v1 = validateRecordBatches(blob, LIMITS);
    if (!v1.ok) throw new Error('invalid');
    let next = 500;
    for (const b of v1.batches) {
      setBaseOffset(blob, b.position, next);
      next += b.recordCount;
    }
    const v2 = validateRecordBatches(blob, LIMITS);
    expect(v2.ok && v2.batches.map((b) => b.baseOffset)).toEqual([500, 503, 506]);
  });

  it('refuses values it cannot write exactly and batches that run past the buffer', () => {
    expect(() => setBaseOffset(sample(), 0, 2 ** 53)).toThrow(RangeError);
    expect(() => setBaseOffset(sample(), 0, 1.5)).toThrow(RangeError);
    const batch = sample();
    expect(() => setBaseOffset(batch.subarray(0, batch.length - 1), 0, 1)).toThrow(RangeError);
    expect(() => setBaseOffset(batch, 10, 1)).toThrow(RangeError);
  });
});

describe('setPartitionLeaderEpoch', () => {
  it('stamps the epoch and keeps the batch valid', () => {
    const batch = sample();
    setPartitionLeaderEpoch(batch, 0, 42);
    expect(readBatchHeader(batch, 0).partitionLeaderEpoch).toBe(42);
    expect(validateRecordBatches(batch, LIMITS).ok).toBe(true);
  });
});

describe('setLogAppendTime', () => {
  it.each([0, 1, 2, 3, 4] as const)('sets the flag and maxTimestamp with a valid CRC (compression %i)', (compression) => {
    const batch = sample(compression);
    expect(decoded(batch).map((r) => r.timestamp)).toEqual([1000, 1007, 1003]);
    const crcBefore = batch.readUInt32BE(17);
    setLogAppendTime(batch, 0, 1_700_000_123_456);
    expect(batch.readUInt32BE(17)).not.toBe(crcBefore);
    const h = readBatchHeader(batch, 0);
    expect(timestampTypeOf(h.attributes)).toBe(TimestampType.LogAppendTime);
    expect(h.attributes & 0x07).toBe(compression);
    expect(h.maxTimestamp).toBe(1_700_000_123_456);
    expect(h.baseTimestamp).toBe(1000);
    const v = validateRecordBatches(batch, LIMITS);
    expect(v.ok && v.batches[0]!.maxTimestamp).toBe(1_700_000_123_456);
    expect(decoded(batch).map((r) => r.timestamp)).toEqual([1_700_000_123_456, 1_700_000_123_456, 1_700_000_123_456]);
  });

  it('keeps the other attribute bits', () => {
    const batch = buildRecordBatch({
      records: [{ value: 'v', timestamp: 5 }],
      transactional: true,
      producerId: 9,
      producerEpoch: 0,
      baseSequence: 0,
      compression: 2,
    });
    setLogAppendTime(batch, 0, 99);
    expect(readBatchHeader(batch, 0).attributes).toBe(0x08 | 0x10 | 2);
    expect(validateRecordBatches(batch, LIMITS).ok).toBe(true);
  });

  it('is idempotent and can move the time again', () => {
    const batch = sample();
    setLogAppendTime(batch, 0, 2000);
    const once = Buffer.from(batch);
    setLogAppendTime(batch, 0, 2000);
    expect(batch.equals(once)).toBe(true);
    setLogAppendTime(batch, 0, 3000);
    expect(validateRecordBatches(batch, LIMITS).ok).toBe(true);
    expect(decoded(batch)[0]!.timestamp).toBe(3000);
  });

  it('works on a batch in the middle of a blob', () => {
    const first = sample();
    const blob = Buffer.concat([first, sample(4), sample()]);
    setLogAppendTime(blob, first.length, 4242);
    const v = validateRecordBatches(blob, LIMITS);
    expect(v.ok && v.batches.map((b) => b.maxTimestamp)).toEqual([1007, 4242, 1007]);
  });

  it('leaves the batch untouched when the timestamp cannot be written', () => {
    const batch = sample();
    const before = Buffer.from(batch);
    expect(() => setLogAppendTime(batch, 0, Number.NaN)).toThrow(RangeError);
    expect(batch.equals(before)).toBe(true);
  });
});
