// The fuzz generator, without a broker: cases are a pure function of (seed, index), every
// category comes up, and each category is what it claims — valid requests decode, bad
// size prefixes are out of range, absurd lengths and unknown APIs do not decode, corrupt
// batches fail the broker's batch validation (or are one of the kinds it cannot see),
// batch cases get from the protocol library's checks the code they expect, slow senders
// are paced to meet (or miss) the timeouts they are about.

import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  apiSpecs,
  CompressionType,
  decodeRequestBody,
  decodeRequestHeader,
  ErrorCode,
  errorName,
  inspectRecords,
  TIMESTAMP_TYPE_MASK,
  validateRecordBatches,
} from '@stratus/protocol';
import { offlineContext, SPECIAL_TOPICS } from './support/context.ts';
import { CATEGORIES, categoryOf, categoryShares, generateCase } from './support/generator.ts';
import type { Category, FuzzCase } from './support/generator.ts';
import { corruptBatch, validBatch } from './support/record-batches.ts';
import { Rng } from './support/rng.ts';

const ctx = offlineContext();
const SAMPLE = 4_000;

function decodes(c: FuzzCase): boolean {
  if (c.bytes.length < 4 || c.bytes.readInt32BE(0) !== c.bytes.length - 4) return false;
  const frame = c.bytes.subarray(4);
  const h = decodeRequestHeader(frame);
  if (!h.ok || !h.value.known) return false;
  return decodeRequestBody(h.value.header.apiKey as never, h.value.header.apiVersion, frame, h.value.bodyOffset).ok;
}

describe('fuzz case generator', () => {
  const cases = Array.from({ length: SAMPLE }, (_, i) => generateCase(7, i, ctx));
  const byCategory = new Map<Category, FuzzCase[]>(CATEGORIES.map((c) => [c, []]));
  for (const c of cases) byCategory.get(c.category)!.push(c);

  it('is a pure function of seed and index', () => {
    for (let i = 0; i < 300; i++) {
      const again = generateCase(7, i, ctx);
      expect(again.bytes.equals(cases[i]!.bytes), `case ${i}`).toBe(true);
      expect(again.category).toBe(cases[i]!.category);
    }
    const other = Array.from({ length: 300 }, (_, i) => generateCase(8, i, ctx));
    expect(other.filter((c, i) => c.bytes.equals(cases[i]!.bytes)).length).toBeLessThan(30);
  });

  it('produces every category, about as often as its weight says', () => {
    const shares = categoryShares();
    for (const c of CATEGORIES) {
      const expected = shares.get(c)! * SAMPLE;
      expect(byCategory.get(c)!.length, c).toBeGreaterThan(expected / 3);
      expect(byCategory.get(c)!.length, c).toBeLessThan(expected * 2 + 5);
    }
  });

  it('valid cases are requests the codec decodes, for every API', () => {
    const valid = byCategory.get('valid')!;
    for (const c of valid) expect(decodes(c), `case #${c.index} ${c.variant}: ${c.bytes.toString('hex').slice(0, 200)}`).toBe(true);
    const apis = new Set(valid.map((c) => c.bytes.readInt16BE(4)));
    expect(apis.size).toBeGreaterThan(apiSpecs.size * 0.8);
  });

  it('size-prefix cases declare a negative size or one over the limit', () => {
    for (const c of byCategory.get('size-prefix')!) {
      const size = c.bytes.readInt32BE(0);
      expect(size < 0 || size > ctx.maxRequestBytes, `size ${size}`).toBe(true);
    }
  });

  it('absurd-count and short-header cases never decode', () => {
    for (const c of byCategory.get('absurd-count')!) expect(decodes(c), `case #${c.index} ${c.variant}`).toBe(false);
    for (const c of byCategory.get('garbage')!.filter((g) => g.expect === 'close')) expect(decodes(c)).toBe(false);
  });

  it('truncated cases leave the stream mid-frame and hang up', () => {
    for (const c of byCategory.get('truncated')!) {
      expect(c.delivery).not.toBe('await');
      expect(c.bytes.length < 4 || c.bytes.readInt32BE(0) !== c.bytes.length - 4, `case #${c.index} ${c.variant}`).toBe(true);
    }
  });

  it('unknown-api cases name an API or version the codec does not have', () => {
    for (let i = 0; i < 20_000; i++) {
      const c = generateCase(11, i, ctx);
      if (c.category === 'unknown-api' && c.variant === 'unknown-key') expect(apiSpecs.has(c.bytes.readInt16BE(4)), `case #${i}`).toBe(false);
    }
    for (const c of byCategory.get('unknown-api')!) {
      const h = decodeRequestHeader(c.bytes.subarray(4));
      if (c.variant.endsWith('served')) continue; // known to the codec, refused by the broker
      expect(h.ok && h.value.known, `case #${c.index} ${c.variant}`).toBe(false);
    }
  });

  it('corrupt batches fail validation unless they are a kind validation cannot see', () => {
    // Valid CRC and lengths around garbage the broker does not decode at produce time.
    const invisible = /^(garbage-compressed|decompression-bomb|records-section-garbage|producer-fields|absurd-record-count|control-or-transactional)/;
    const rng = new Rng(99);
    for (let i = 0; i < 500; i++) {
      const { variant, records } = corruptBatch(rng);
      const result = validateRecordBatches(records, { maxBatchBytes: 1_048_588 });
      if (!invisible.test(variant) && variant !== 'two-batches') expect(result.ok, variant).toBe(false);
    }
    for (let i = 0; i < 50; i++) expect(validateRecordBatches(validBatch(rng), { maxBatchBytes: 1_048_588 }).ok).toBe(true);
  });

  it('batch cases are Produce requests whose batch gets the expected code from the protocol checks', () => {
    // What Produce checks before the timestamp bounds (services/broker/src/produce/check-batch.ts),
    // done with the same library calls; the bounds themselves are the broker's, seen in the run.
    const limitOf = (topic: string): number =>
      topic === SPECIAL_TOPICS.small.name ? SPECIAL_TOPICS.small.maxMessageBytes : topic === SPECIAL_TOPICS.roomy.name ? SPECIAL_TOPICS.roomy.maxMessageBytes : ctx.limits.maxMessageBytes;
    const kindCode: Record<string, number> = { corrupt_message: ErrorCode.CORRUPT_MESSAGE, invalid_record: ErrorCode.INVALID_RECORD, too_large: ErrorCode.MESSAGE_TOO_LARGE, unsupported_magic: ErrorCode.INVALID_RECORD };
    const seen = new Set<string>();
    const batchCategories: readonly Category[] = ['oversized', 'lying-batch', 'bad-timestamp'];
    for (let i = 0; i < 20_000; i++) {
      if (!batchCategories.includes(categoryOf(13, i))) continue;
      const c = generateCase(13, i, ctx);
      const frame = c.bytes.subarray(4);
      const h = decodeRequestHeader(frame);
      expect(h.ok && h.value.header.apiKey === ApiKey.Produce, `case #${i}`).toBe(true);
      if (!h.ok) continue;
      const body = decodeRequestBody(ApiKey.Produce, h.value.header.apiVersion, frame, h.value.bodyOffset);
      expect(body.ok, `case #${i} ${c.variant}`).toBe(true);
      if (!body.ok) continue;
      const topic = body.value.topicData[0]!;
      const records = topic.partitionData[0]!.records!;
      const v = validateRecordBatches(records, { maxBatchBytes: limitOf(topic.name) });
      let code: number = ErrorCode.NONE;
      if (!v.ok) code = kindCode[v.error.kind]!;
      else if (v.batches.length !== 1) code = ErrorCode.INVALID_RECORD;
      else if (v.batches[0]!.compression === CompressionType.Zstd && h.value.header.apiVersion < 7) code = ErrorCode.UNSUPPORTED_COMPRESSION_TYPE;
      else {
        const inspected = inspectRecords(records, v.batches[0]!, ctx.limits.maxDecompressedBytes);
        if (!inspected.ok) code = kindCode[inspected.kind]!;
      }
      const expected = typeof c.expect === 'object' && c.expect.kind === 'partition-error' ? c.expect.codes : undefined;
      const what = `case #${i} ${c.category}/${c.variant} to ${topic.name}`;
      if (c.category === 'bad-timestamp') {
        // Well-formed batches: any refusal is about the timestamps.
        expect(errorName(code), what).toBe('NONE');
        if (expected !== undefined && !expected.includes(ErrorCode.NONE)) expect(expected, what).toEqual([ErrorCode.INVALID_TIMESTAMP]);
        if (/log-append-time-bit/.test(c.variant)) expect(records.readInt16BE(21) & TIMESTAMP_TYPE_MASK, what).not.toBe(0);
      } else if (expected !== undefined) expect(expected.map(errorName), what).toContain(errorName(code));
      seen.add(`${c.category}/${c.variant.replace(/-(none|gzip|snappy|lz4|zstd)\b.*$/, '').replace(/@.*$/, '')}`);
    }
    // Every variant came up.
    expect(seen.size).toBeGreaterThan(35);
  });

  it('slow senders are paced to meet or miss the timeout they are about', () => {
    const t = ctx.limits.timeouts;
    let n = 0;
    for (let i = 0; i < 500_000 && n < 300; i++) {
      if (categoryOf(17, i) !== 'slow-sender') continue;
      const c = generateCase(17, i, ctx);
      n++;
      const d = c.delivery;
      expect(typeof d, `case #${i}`).toBe('object');
      if (typeof d !== 'object') continue;
      const what = `case #${i} ${c.variant}`;
      if (d.kind === 'no-read') {
        // Complete frames, among them Fetches of the bulk topic.
        let at = 0;
        while (at < c.bytes.length) at += 4 + c.bytes.readInt32BE(at);
        expect(at, what).toBe(c.bytes.length);
        expect(c.expect).toMatchObject({ kind: 'timeout-close', timeout: 'stall' });
        continue;
      }
      const pieces = Math.ceil((d.stopAfterBytes ?? c.bytes.length) / d.pieceBytes);
      if (c.variant.startsWith('trickle-in-time')) {
        expect(d.stopAfterBytes, what).toBeUndefined();
        expect(pieces * d.gapMs, what).toBeLessThan(t.receiveMs / 2);
        expect(c.bytes.readInt32BE(0), what).toBe(c.bytes.length - 4);
      } else if (c.variant === 'trickle-too-slow') {
        expect(3 * d.gapMs, `${what}: the size prefix is in before the idle timeout`).toBeLessThan(t.idleMs / 2);
        expect((pieces - 4) * d.gapMs, `${what}: the body takes longer than the receive timeout and a sweep`).toBeGreaterThan(t.receiveMs + t.sweepMs);
        expect(c.expect).toMatchObject({ kind: 'timeout-close', timeout: 'receive' });
      } else if (c.variant.startsWith('stop-mid-body')) {
        expect(c.bytes.length, what).toBeGreaterThanOrEqual(4);
        expect(c.bytes.readInt32BE(0), what).toBeGreaterThan(c.bytes.length - 4);
        expect(c.expect).toMatchObject({ kind: 'timeout-close', timeout: 'receive' });
      } else {
        expect(c.variant).toBe('stop-in-prefix');
        expect(c.bytes.length, what).toBeLessThan(4);
        expect(c.expect).toMatchObject({ kind: 'timeout-close', timeout: 'idle' });
      }
    }
    expect(n).toBeGreaterThan(100);
  });
});
