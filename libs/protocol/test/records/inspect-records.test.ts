// Record-level validation of client batches (what Kafka's LogValidator checks after the
// header): honest batches of every codec pass with their oldest and newest timestamps;
// batches whose records contradict their header are refused with a reason.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionType } from '../../src/compression/index.ts';
import {
  buildRecordBatch,
  inspectRecords,
  LAST_OFFSET_DELTA_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORDS_OFFSET,
  recomputeCrc,
  validateRecordBatches,
  writeInt64,
} from '../../src/records/index.ts';
import type { BuildRecord, InspectedRecords } from '../../src/records/index.ts';

const T = 1_700_000_000_000;
const CAP = 1024 * 1024;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd] as const;

function inspect(batch: Buffer, cap = CAP): InspectedRecords {
  const v = validateRecordBatches(batch, { maxBatchBytes: 16 * 1024 * 1024 });
  if (!v.ok) throw new Error(`header validation failed: ${v.error.message}`);
  return inspectRecords(batch, v.batches[0]!, cap);
}

function records(n: number, timestamp = (i: number) => T + i): BuildRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value ${i}`, timestamp: timestamp(i), headers: i % 2 ? [{ key: 'h', value: 'v' }] : [] }));
}

/** Rewrites the header's count and last offset delta, as a lying client would, keeping the CRC valid. */
function claimCount(batch: Buffer, count: number): Buffer {
  const b = Buffer.from(batch);
  b.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  b.writeInt32BE(count - 1, LAST_OFFSET_DELTA_OFFSET);
  recomputeCrc(b, 0);
  return b;
}

describe('inspectRecords accepts honest batches', () => {
  it.each(CODECS)('codec %i: reports the oldest and newest record timestamps', (compression) => {
    const batch = buildRecordBatch({ records: records(5, (i) => T + [30, 10, 50, 20, 40][i]!), compression });
    expect(inspect(batch)).toEqual({ ok: true, minTimestamp: T + 10, maxTimestamp: T + 50 });
  });

  it('any records, any codec', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.option(fc.string(), { nil: null }), value: fc.option(fc.string(), { nil: null }), delta: fc.integer({ min: -5000, max: 5000 }) }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...CODECS),
        (rs, compression) => {
          const batch = buildRecordBatch({ records: rs.map((r) => ({ key: r.key, value: r.value, timestamp: T + r.delta })), compression, baseTimestamp: T });
          const deltas = rs.map((r) => r.delta);
          expect(inspect(batch)).toEqual({ ok: true, minTimestamp: T + Math.min(...deltas), maxTimestamp: T + Math.max(...deltas) });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('inspectRecords and records without a timestamp', () => {
  it('leaves -1 (NO_TIMESTAMP) out of the oldest and newest timestamps', () => {
    expect(inspect(buildRecordBatch({ records: [{ value: 'a', timestamp: -1 }], baseTimestamp: -1 }))).toEqual({ ok: true, minTimestamp: undefined, maxTimestamp: undefined });
    const mixed = buildRecordBatch({ records: [{ value: 'a', timestamp: -1 }, { value: 'b', timestamp: T }], baseTimestamp: -1 });
    expect(inspect(mixed)).toEqual({ ok: true, minTimestamp: T, maxTimestamp: T });
  });
});

describe('inspectRecords refuses batches that lie', () => {
  it.each(CODECS)('codec %i: a record count above the records held', (compression) => {
    const r = inspect(claimCount(buildRecordBatch({ records: records(3), compression }), 5));
    expect(r).toMatchObject({ ok: false, kind: 'invalid_record' });
  });

  it.each(CODECS)('codec %i: a record count below the records held', (compression) => {
    const r = inspect(claimCount(buildRecordBatch({ records: records(3), compression }), 2));
    expect(r).toMatchObject({ ok: false, kind: 'invalid_record' });
    if (!r.ok) expect(r.message).toContain('after record 1');
  });

  it('offset deltas out of order', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a', timestamp: T }, { value: 'b', timestamp: T }] });
    // Record 0: length, attributes, timestampDelta 0, offsetDelta 0 → make it 1 (zigzag 2).
    expect(batch[RECORDS_OFFSET + 3]).toBe(0);
    batch[RECORDS_OFFSET + 3] = 2;
    recomputeCrc(batch, 0);
    const r = inspect(batch);
    expect(r).toMatchObject({ ok: false, kind: 'invalid_record' });
    if (!r.ok) expect(r.message).toContain('offset delta 1');
  });

  it.each(CODECS)('codec %i: a header maxTimestamp older than the newest record', (compression) => {
    const batch = buildRecordBatch({ records: records(3), compression });
    writeInt64(batch, MAX_TIMESTAMP_OFFSET, T); // the records reach T + 2
    recomputeCrc(batch, 0);
    const r = inspect(batch);
    expect(r).toMatchObject({ ok: false, kind: 'invalid_record' });
    if (!r.ok) expect(r.message).toContain('maxTimestamp');
  });

  it('compressed bytes that do not decompress', () => {
    const batch = buildRecordBatch({ records: records(3), compression: CompressionType.Zstd });
    batch.fill(0x55, RECORDS_OFFSET, RECORDS_OFFSET + 8);
    recomputeCrc(batch, 0);
    expect(inspect(batch)).toMatchObject({ ok: false, kind: 'corrupt_message' });
  });

  it('records that decompress past the cap', () => {
    const batch = buildRecordBatch({ records: [{ value: Buffer.alloc(256 * 1024), timestamp: T }], compression: CompressionType.Gzip });
    expect(batch.length).toBeLessThan(4096);
    expect(inspect(batch, 64 * 1024)).toMatchObject({ ok: false, kind: 'too_large' });
  });

  it('never throws on mutated batches', () => {
    const base = [CompressionType.None, CompressionType.Gzip].map((compression) => buildRecordBatch({ records: records(4), compression }));
    fc.assert(
      fc.property(fc.constantFrom(...base), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (original, edits) => {
        const b = Buffer.from(original);
        for (const [at, value] of edits) b[RECORDS_OFFSET + (at % (b.length - RECORDS_OFFSET))] = value;
        recomputeCrc(b, 0);
        const v = validateRecordBatches(b, { maxBatchBytes: CAP });
        if (!v.ok) return;
        const r = inspectRecords(b, v.batches[0]!, CAP);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
