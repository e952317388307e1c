// Produce-path validation: each failure kind triggered by one specific corruption, plus
// blobs of several batches and a check that no input makes it throw.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRecordBatch, readInt64, recomputeCrc, validateRecordBatches } from '../../src/records/index.ts';
import type { BatchValidationErrorKind, ValidatedBatches } from '../../src/records/index.ts';

const LIMITS = { maxBatchBytes: 1024 * 1024 };

function sample(overrides: Partial<Parameters<typeof buildRecordBatch>[0]> = {}): Buffer {
  return buildRecordBatch({
    records: [
      { key: 'k1', value: 'first value', timestamp: 1_700_000_000_000 },
      { key: null, value: 'second value', timestamp: 1_700_000_000_050, headers: [{ key: 'h', value: 'x' }] },
      { key: 'k3', value: null, timestamp: 1_700_000_000_020 },
    ],
    ...overrides,
  });
}

function expectError(result: ValidatedBatches, kind: BatchValidationErrorKind, batchIndex = 0): string {
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.error.kind).toBe(kind);
  expect(result.error.batchIndex).toBe(batchIndex);
  return result.error.message;
}

describe('validateRecordBatches accepts', () => {
  it('a valid batch and reports its header fields', () => {
    const batch = sample({ producerId: 77, producerEpoch: 2, baseSequence: 10, transactional: true, compression: 4 });
    const result = validateRecordBatches(batch, LIMITS);
    expect(result).toEqual({
      ok: true,
      batches: [
        {
          position: 0,
          size: batch.length,
          baseOffset: 0,
          lastOffsetDelta: 2,
          recordCount: 3,
          baseTimestamp: 1_700_000_000_000,
          maxTimestamp: 1_700_000_000_050,
          producerId: 77,
          producerEpoch: 2,
          baseSequence: 10,
          compression: 4,
          isTransactional: true,
          isControl: false,
        },
      ],
    });
  });

  it('several batches in one blob, with their positions', () => {
    const batches = [sample(), sample({ compression: 1, baseOffset: 3 }), sample({ compression: 3, baseOffset: 6 })];
    const blob = Buffer.concat(batches);
    const result = validateRecordBatches(blob, LIMITS);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.batches.map((b) => [b.position, b.size, b.baseOffset, b.compression])).toEqual([
      [0, batches[0]!.length, 0, 0],
      [batches[0]!.length, batches[1]!.length, 3, 1],
      [batches[0]!.length + batches[1]!.length, batches[2]!.length, 6, 3],
    ]);
  });

  it('an empty blob as no batches (the handler decides whether that is allowed)', () => {
    expect(validateRecordBatches(Buffer.alloc(0), LIMITS)).toEqual({ ok: true, batches: [] });
  });

  it('a batch whose baseOffset or leader epoch changed, since they are outside the CRC', () => {
    const batch = sample();
    batch[7] = 0x55;
    batch[13] = 0x66;
    expect(validateRecordBatches(batch, LIMITS).ok).toBe(true);
  });

  it('a batch of exactly maxBatchBytes', () => {
    const batch = sample();
    expect(validateRecordBatches(batch, { maxBatchBytes: batch.length }).ok).toBe(true);
  });
});

describe('validateRecordBatches rejects', () => {
  it('a flipped byte inside the CRC range as corrupt_message', () => {
    const batch = sample();
    for (const at of [21, 40, 61, batch.length - 1]) {
      const bad = Buffer.from(batch);
      bad[at] = bad[at]! ^ 0x01;
      expect(expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message')).toContain('CRC');
    }
  });

  it('a wrong stored CRC as corrupt_message', () => {
    const bad = sample();
    bad[17] = bad[17]! ^ 0x80;
    expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message');
  });

  it('magic other than 2 as unsupported_magic', () => {
    for (const magic of [0, 1, 3, -1]) {
      const bad = sample();
      bad.writeInt8(magic, 16);
      expect(expectError(validateRecordBatches(bad, LIMITS), 'unsupported_magic')).toContain(`magic ${magic}`);
    }
  });

  it('lastOffsetDelta + 1 != recordCount as invalid_record', () => {
    const bad = sample();
    bad.writeInt32BE(5, 23);
    recomputeCrc(bad, 0);
    expect(expectError(validateRecordBatches(bad, LIMITS), 'invalid_record')).toContain('lastOffsetDelta');
  });

  it('an empty batch (recordCount 0) as invalid_record', () => {
    const bad = buildRecordBatch({ records: [], baseTimestamp: 0 });
    expectError(validateRecordBatches(bad, LIMITS), 'invalid_record');
  });

  it('a control batch from a client as invalid_record', () => {
    const bad = sample({ control: true, producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true });
    expect(expectError(validateRecordBatches(bad, LIMITS), 'invalid_record')).toContain('control');
  });

  it('a producer id without a sequence number as invalid_record', () => {
    const bad = sample({ producerId: 5, producerEpoch: 0 });
    expect(expectError(validateRecordBatches(bad, LIMITS), 'invalid_record')).toContain('sequence');
  });

  it('a truncated batch as corrupt_message', () => {
    const batch = sample();
    for (const cut of [batch.length - 1, 61, 30, 17, 16, 5]) {
      expectError(validateRecordBatches(batch.subarray(0, cut), LIMITS), 'corrupt_message');
    }
  });

  it('batchLength below 49 as corrupt_message', () => {
    for (const len of [48, 0, -1, -2147483648]) {
      const bad = sample();
      bad.writeInt32BE(len, 8);
      expect(expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message')).toContain('batchLength');
    }
  });

  it('batchLength beyond the buffer as corrupt_message', () => {
    const bad = sample();
    bad.writeInt32BE(bad.length - 12 + 1, 8);
    expect(expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message')).toContain('declares');
  });

  it('a batch over maxBatchBytes as too_large, even when its length is a lie', () => {
    const batch = sample();
    expectError(validateRecordBatches(batch, { maxBatchBytes: batch.length - 1 }), 'too_large');
    const lying = sample();
    lying.writeInt32BE(0x7fffffff, 8);
    expectError(validateRecordBatches(lying, LIMITS), 'too_large');
  });

  it('a compression type that is not a codec as corrupt_message', () => {
    const bad = sample();
    bad.writeInt16BE(6, 21);
    recomputeCrc(bad, 0);
    expect(expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message')).toContain('compression');
  });

  it('an int64 header field beyond 2^53 as corrupt_message', () => {
    const bad = sample();
    bad.writeUInt32BE(0x7fffffff, 43);
    recomputeCrc(bad, 0);
    expect(expectError(validateRecordBatches(bad, LIMITS), 'corrupt_message')).toContain('safe integer');
  });

  it('reports the index of the bad batch in a blob', () => {
    const second = sample();
    second[second.length - 2] = second[second.length - 2]! ^ 0xff;
    const blob = Buffer.concat([sample(), sample(), second, sample()]);
    expectError(validateRecordBatches(blob, LIMITS), 'corrupt_message', 2);
  });

  it('trailing bytes after the last batch as corrupt_message', () => {
    const blob = Buffer.concat([sample(), Buffer.alloc(10)]);
    expectError(validateRecordBatches(blob, LIMITS), 'corrupt_message', 1);
  });
});

describe('validateRecordBatches never throws', () => {
  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const result = validateRecordBatches(Buffer.from(bytes), LIMITS);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('on a valid blob with random byte corruptions, and only accepts what still checks out', () => {
    const first = sample();
    const blob = Buffer.concat([first, sample({ compression: 2 })]);
    const flip = fc.tuple(fc.nat(blob.length - 1), fc.integer({ min: 1, max: 255 }));
    fc.assert(
      fc.property(fc.uniqueArray(flip, { minLength: 1, maxLength: 4, selector: ([at]) => at }), (flips) => {
        const bad = Buffer.from(blob);
        for (const [at, xor] of flips) bad[at] = bad[at]! ^ xor;
        const result = validateRecordBatches(bad, LIMITS);
        // Only bytes outside the CRC and framing can change unnoticed: the leader epoch,
        // and baseOffset as long as it stays a safe integer.
        const undetectable =
          flips.every(([at]) => {
            const rel = at < first.length ? at : at - first.length;
            return rel < 8 || (rel >= 12 && rel < 16);
          }) &&
          !Number.isNaN(readInt64(bad, 0)) &&
          !Number.isNaN(readInt64(bad, first.length));
        expect(result.ok).toBe(undetectable);
      }),
      { numRuns: 300 },
    );
  });
});

describe('record counts the bytes cannot hold', () => {
  it('rejects an uncompressed batch claiming more records than fit, without decoding them', () => {
    const batch = buildRecordBatch({ records: [{ value: 'one real record' }] });
    expect(validateRecordBatches(batch, { maxBatchBytes: 1 << 20 }).ok).toBe(true);
    batch.writeInt32BE(0x7ffffffe, 23); // lastOffsetDelta
    batch.writeInt32BE(0x7fffffff, 57); // recordCount
    recomputeCrc(batch, 0);
    const v = validateRecordBatches(batch, { maxBatchBytes: 1 << 20 });
    expect(v.ok ? 'ok' : v.error.kind).toBe('invalid_record');
    expect(v.ok ? '' : v.error.message).toMatch(/claims 2147483647 records/);
  });
});
