// The fuzz generator, without a broker: cases are a pure function of (seed, index), every
// category comes up, and each category is what it claims — valid requests decode, bad
// size prefixes are out of range, absurd lengths and unknown APIs do not decode, corrupt
// batches fail the broker's batch validation (or are one of the kinds it cannot see).

import { describe, expect, it } from 'vitest';
import { apiSpecs, decodeRequestBody, decodeRequestHeader, validateRecordBatches } from '@stratus/protocol';
import { offlineContext } from './support/context.ts';
import { CATEGORIES, generateCase } from './support/generator.ts';
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

  it('produces every category', () => {
    for (const c of CATEGORIES) expect(byCategory.get(c)!.length, c).toBeGreaterThan(SAMPLE / 40);
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
});
