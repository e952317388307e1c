// Properties of the shared helpers: key order equals UTF-8 byte order (as S3 and GCS list),
// and body splitting loses and reorders nothing.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareKeys } from '../src/internal/keys.ts';
import { bodyLength, splitBody } from '../src/internal/body.ts';

describe('compareKeys', () => {
  it('orders like Buffer.compare of the UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
    expect(compareKeys('a-b', 'a/b')).toBeLessThan(0);
    expect(compareKeys('\uE000', '😀')).toBeLessThan(0); // plain < would say the opposite
  });
});

describe('splitBody', () => {
  it('cuts any chunking into full parts plus a shorter last one, byte for byte', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (chunks, partBytes) => {
        const parts = splitBody(chunks, partBytes);
        const total = bodyLength(chunks);
        expect(parts.length).toBe(Math.ceil(total / partBytes));
        parts.forEach((p, i) => {
          if (i < parts.length - 1) expect(bodyLength(p)).toBe(partBytes);
        });
        expect(Buffer.concat(parts.flat())).toEqual(Buffer.concat(chunks));
      }),
    );
  });
});
