// Round trips and input handling for every codec, including the two snappy shapes Kafka
// clients send (xerial-framed from Java, raw from librdkafka/franz-go).

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compress, CompressionError, CompressionType, decompress } from '../../src/compression/index.ts';
import type { CompressOptions } from '../../src/compression/index.ts';

const codecs = [
  ['gzip', CompressionType.Gzip, {}],
  ['snappy (xerial)', CompressionType.Snappy, {}],
  ['snappy (raw)', CompressionType.Snappy, { snappyFormat: 'raw' }],
  ['lz4', CompressionType.Lz4, {}],
  ['zstd', CompressionType.Zstd, {}],
] as const satisfies readonly (readonly [string, CompressionType, CompressOptions])[];

const LIMIT = 64 * 1024 * 1024;

function textLike(bytes: number): Buffer {
  const words = ['kafka', 'stratus', 'record', 'batch', 'offset', 'partition', 'leader', 'epoch'];
  const parts: string[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const w = words[(i * 7 + (i >> 3)) % words.length]!;
    parts.push(w);
    n += w.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, bytes);
}

describe.each(codecs)('%s', (_name, type, options) => {
  it('round-trips empty, small, compressible and incompressible input', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), textLike(300_000), randomBytes(200_000)]) {
      const packed = compress(type, data, options);
      expect(decompress(type, packed, LIMIT).equals(data)).toBe(true);
    }
  });

  it('actually compresses repetitive input', () => {
    const data = textLike(100_000);
    expect(compress(type, data, options).length).toBeLessThan(data.length / 2);
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        const data = Buffer.from(bytes);
        expect(decompress(type, compress(type, data, options), LIMIT).equals(data)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects garbage with a CompressionError', () => {
    const garbage = Buffer.from('this is not compressed data at all, just text that goes on');
    expect(() => decompress(type, garbage, LIMIT)).toThrow(CompressionError);
  });

  it('rejects truncated input with a CompressionError, never another exception', () => {
    const packed = compress(type, textLike(50_000), options);
    for (const cut of [1, 5, 10, Math.floor(packed.length / 2), packed.length - 1]) {
      let caught: unknown;
      try {
        decompress(type, packed.subarray(0, cut), LIMIT);
      } catch (err) {
        caught = err;
      }
      // Some prefixes of a stream are themselves valid streams; those must not throw
      // anything else and must not return more than the original.
      if (caught !== undefined) expect(caught).toBeInstanceOf(CompressionError);
    }
  });

  it('never throws anything but CompressionError on corrupted input', () => {
    const packed = compress(type, textLike(20_000), options);
    fc.assert(
      fc.property(fc.nat(packed.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Buffer.from(packed);
        bad[at] = bad[at]! ^ xor;
        try {
          decompress(type, bad, 1024 * 1024);
        } catch (err) {
          expect(err).toBeInstanceOf(CompressionError);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('none', () => {
  it('passes data through unchanged', () => {
    const data = Buffer.from('plain');
    expect(compress(CompressionType.None, data)).toBe(data);
    expect(decompress(CompressionType.None, data, 100)).toBe(data);
  });
});

describe('CompressionError', () => {
  it('names the codec, the kind and keeps the library error as cause', () => {
    let caught: unknown;
    try {
      decompress(CompressionType.Gzip, Buffer.from('nope nope nope nope'), LIMIT);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CompressionError);
    const err = caught as CompressionError;
    expect(err.codec).toBe('gzip');
    expect(err.kind).toBe('corrupt');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('is thrown for a compression type that is not a codec', () => {
    expect(() => decompress(5 as CompressionType, Buffer.from('x'), LIMIT)).toThrow(CompressionError);
    expect(() => compress(7 as CompressionType, Buffer.from('x'))).toThrow(CompressionError);
  });
});
