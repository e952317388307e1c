// builder -> validate -> readRecords round trips over random records and every codec,
// and the typed errors readRecords returns instead of throwing.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, CompressionType } from '../../src/compression/index.ts';
import type { CompressOptions } from '../../src/compression/index.ts';
import { buildRecordBatch, readRecords, recomputeCrc, validateRecordBatches } from '../../src/records/index.ts';
import type { BuildRecord } from '../../src/records/index.ts';

const MAX_OUT = 16 * 1024 * 1024;
const LIMITS = { maxBatchBytes: 16 * 1024 * 1024 };

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null });
const recordArb = fc.record({
  key: bytesOrNull,
  value: bytesOrNull,
  headers: fc.array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 20 }), value: bytesOrNull }), { maxLength: 4 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

const codecs = [
  ['none', CompressionType.None, {}],
  ['gzip', CompressionType.Gzip, {}],
  ['snappy (xerial)', CompressionType.Snappy, {}],
  ['snappy (raw)', CompressionType.Snappy, { snappyFormat: 'raw' }],
  ['lz4', CompressionType.Lz4, {}],
  ['zstd', CompressionType.Zstd, {}],
] as const satisfies readonly (readonly [string, CompressionType, CompressOptions])[];

const bytesEqual = (a: Buffer | null, b: Uint8Array | null): boolean => (a === null || b === null ? a === b : a.equals(b));

describe.each(codecs)('round trip with %s', (_name, compression, compressOptions) => {
  it('builder -> validate -> readRecords preserves every record', () => {
    fc.assert(
      fc.property(
        fc.array(recordArb, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.boolean(),
        (records, baseOffset, idempotent) => {
          const batch = buildRecordBatch({
            records,
            baseOffset,
            compression,
            compressOptions,
            ...(idempotent ? { producerId: 1000, producerEpoch: 3, baseSequence: 17 } : {}),
          });
          const v = validateRecordBatches(batch, LIMITS);
          expect(v.ok).toBe(true);
          if (!v.ok) return;
          const info = v.batches[0]!;
          expect(info).toMatchObject({ size: batch.length, baseOffset, recordCount: records.length, lastOffsetDelta: records.length - 1 });
          expect(info.compression).toBe(compression);
          expect(info.baseTimestamp).toBe(records[0]!.timestamp);
          expect(info.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
          expect(info.producerId).toBe(idempotent ? 1000 : -1);

          const out = readRecords(batch, MAX_OUT);
          expect(out.ok).toBe(true);
          if (!out.ok) return;
          expect(out.records).toHaveLength(records.length);
          out.records.forEach((got, i) => {
            const want = records[i]!;
            expect(got.offset).toBe(baseOffset + i);
            expect(got.timestamp).toBe(want.timestamp);
            expect(bytesEqual(got.key, want.key)).toBe(true);
            expect(bytesEqual(got.value, want.value)).toBe(true);
            expect(got.headers.map((h) => h.key)).toEqual(want.headers.map((h) => h.key));
            got.headers.forEach((h, j) => expect(bytesEqual(h.value, want.headers[j]!.value)).toBe(true));
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('readRecords', () => {
  it('decodes every batch of a multi-batch blob by position', () => {
    const blob = Buffer.concat([
      buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseOffset: 0, baseTimestamp: 1 }),
      buildRecordBatch({ records: [{ value: 'c' }], baseOffset: 2, compression: CompressionType.Zstd, baseTimestamp: 1 }),
      buildRecordBatch({ records: [{ value: 'd' }, { value: 'e' }], baseOffset: 3, compression: CompressionType.Snappy, baseTimestamp: 1 }),
    ]);
    const v = validateRecordBatches(blob, LIMITS);
    if (!v.ok) throw new Error(v.error.message);
    const all = v.batches.flatMap((b) => {
      const r = readRecords(blob.subarray(b.position, b.position + b.size), MAX_OUT);
      if (!r.ok) throw new Error(r.error.message);
      return r.records.map((rec) => [rec.offset, rec.value?.toString()]);
    });
    expect(all).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
      [4, 'e'],
    ]);
  });

  it('reports LogAppendTime batches with maxTimestamp for every record', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 20 }], logAppendTime: 999 });
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok && r.records.map((x) => x.timestamp)).toEqual([999, 999]);
  });

  it('handles negative timestamp deltas', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a', timestamp: 5000 }, { value: 'b', timestamp: 10 }] });
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok && r.records.map((x) => x.timestamp)).toEqual([5000, 10]);
  });

  it('distinguishes null from empty keys, values and header values', () => {
    const batch = buildRecordBatch({
      records: [{ key: '', value: null, headers: [{ key: '', value: '' }, { key: 'n', value: null }] }],
      baseTimestamp: 0,
    });
    const r = readRecords(batch, MAX_OUT);
    if (!r.ok) throw new Error(r.error.message);
    const rec = r.records[0]!;
    expect(rec.key?.length).toBe(0);
    expect(rec.value).toBeNull();
    expect(rec.headers[0]!.value?.length).toBe(0);
    expect(rec.headers[1]!.value).toBeNull();
  });

  it('returns too_large for a decompression bomb', () => {
    const batch = buildRecordBatch({
      records: [{ value: Buffer.alloc(10 * 1024 * 1024) }],
      compression: CompressionType.Zstd,
      baseTimestamp: 0,
    });
    expect(batch.length).toBeLessThan(1024 * 1024);
    const r = readRecords(batch, 1024 * 1024);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('too_large');
  });

  it('returns decompression_failed for a section that is not valid for its codec', () => {
    const batch = buildRecordBatch({ records: [{ value: 'hello' }], compression: CompressionType.Gzip, baseTimestamp: 0 });
    batch.fill(0x41, 61 + 10);
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('decompression_failed');
  });

  it('returns corrupt_record when the record count overstates the records', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseTimestamp: 0 });
    batch.writeInt32BE(3, 57);
    recomputeCrc(batch, 0);
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('corrupt_record');
  });

  it('returns corrupt_record for bytes left after the last record', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a' }, { value: 'b' }], baseTimestamp: 0 });
    batch.writeInt32BE(1, 57);
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('trailing');
  });

  it('returns corrupt_record when a record length disagrees with its fields', () => {
    const batch = buildRecordBatch({ records: [{ value: 'abc' }], baseTimestamp: 0 });
    // First record's length varint (zigzag) sits right after the header.
    batch[61] = batch[61]! + 2;
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('corrupt_record');
  });

  it('returns corrupt_record for an impossible record count without allocating for it', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a' }], baseTimestamp: 0 });
    batch.writeInt32BE(2_000_000_000, 57);
    const r = readRecords(batch, MAX_OUT);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('corrupt_record');
  });

  it('decodes records compressed in a section that was built by hand', () => {
    // Guard against builder and reader sharing a mistake: one record written byte by byte.
    const record = Buffer.from([0x00, 0x02, 0x04, 0x02, 0x6b, 0x02, 0x76, 0x00]);
    // attributes 0, timestampDelta 1, offsetDelta 2, key "k", value "v", 0 headers
    const section = Buffer.concat([Buffer.from([record.length * 2]), record]);
    const compressed = compress(CompressionType.Gzip, section);
    const header = buildRecordBatch({ records: [], baseTimestamp: 100, baseOffset: 40 }).subarray(0, 61);
    const batch = Buffer.concat([header, compressed]);
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt16BE(CompressionType.Gzip, 21);
    batch.writeInt32BE(1, 57);
    const r = readRecords(batch, MAX_OUT);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.records).toEqual([{ offset: 42, timestamp: 101, key: Buffer.from('k'), value: Buffer.from('v'), headers: [] }]);
  });

  it('reports header-level problems', () => {
    const batch = buildRecordBatch({ records: [{ value: 'a' }], baseTimestamp: 0 });
    expect(readRecords(batch.subarray(0, 10), MAX_OUT)).toMatchObject({ ok: false, error: { kind: 'corrupt_batch' } });
    expect(readRecords(batch.subarray(0, batch.length - 1), MAX_OUT)).toMatchObject({ ok: false, error: { kind: 'corrupt_batch' } });
    const legacy = Buffer.from(batch);
    legacy[16] = 1;
    expect(readRecords(legacy, MAX_OUT)).toMatchObject({ ok: false, error: { kind: 'unsupported_magic' } });
    const badCodec = Buffer.from(batch);
    badCodec.writeInt16BE(7, 21);
    expect(readRecords(badCodec, MAX_OUT)).toMatchObject({ ok: false, error: { kind: 'corrupt_batch' } });
  });

  it('never throws on corrupted batches of any codec', () => {
    const records: BuildRecord[] = [
      { key: 'key', value: 'value '.repeat(20), headers: [{ key: 'h', value: 'hv' }] },
      { key: null, value: 'second' },
    ];
    const batches = [0, 1, 2, 3, 4].map((c) => buildRecordBatch({ records, compression: c as CompressionType, baseTimestamp: 0 }));
    fc.assert(
      fc.property(fc.nat(batches.length - 1), fc.nat(), fc.integer({ min: 1, max: 255 }), (which, at, xor) => {
        const bad = Buffer.from(batches[which]!);
        const i = at % bad.length;
        bad[i] = bad[i]! ^ xor;
        const r = readRecords(bad, 1024 * 1024);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
