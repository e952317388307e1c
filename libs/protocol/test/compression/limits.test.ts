// Decompression bombs: a client can send a few KiB that expand to gigabytes. Every codec
// must stop at the caller's limit and say so with a CompressionError of kind 'too_large'.

import { describe, expect, it } from 'vitest';
import { compress, CompressionError, CompressionType, decompress } from '../../src/compression/index.ts';
import type { CompressOptions } from '../../src/compression/index.ts';

const MB = 1024 * 1024;
const zeros = Buffer.alloc(10 * MB);

function tooLarge(fn: () => unknown): CompressionError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CompressionError);
  expect((caught as CompressionError).kind).toBe('too_large');
  return caught as CompressionError;
}

const codecs = [
  ['gzip', CompressionType.Gzip, {}],
  ['snappy (xerial)', CompressionType.Snappy, {}],
  ['snappy (raw)', CompressionType.Snappy, { snappyFormat: 'raw' }],
  ['lz4', CompressionType.Lz4, {}],
  ['zstd', CompressionType.Zstd, {}],
] as const satisfies readonly (readonly [string, CompressionType, CompressOptions])[];

describe.each(codecs)('%s limits', (_name, type, options) => {
  it('rejects 10 MB of zeros under a 1 MB limit', () => {
    const bomb = compress(type, zeros, options);
    expect(bomb.length).toBeLessThan(MB);
    tooLarge(() => decompress(type, bomb, MB));
  });

  it('accepts output of exactly the limit and rejects one byte less', () => {
    const data = Buffer.alloc(300_000, 0x5a);
    const packed = compress(type, data, options);
    expect(decompress(type, packed, data.length).equals(data)).toBe(true);
    tooLarge(() => decompress(type, packed, data.length - 1));
  });

  it('handles a zero limit', () => {
    expect(decompress(type, compress(type, Buffer.alloc(0), options), 0).length).toBe(0);
    tooLarge(() => decompress(type, compress(type, Buffer.from('a'), options), 0));
  });
});

describe('snappy limits are checked before decompressing', () => {
  it('rejects a raw block declaring 4 GiB without decoding it', () => {
    // uvarint 0xffffffff followed by a tiny (invalid) body: if the declared length were not
    // checked first, the library would try to allocate 4 GiB or report corruption.
    const block = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const err = tooLarge(() => decompress(CompressionType.Snappy, block, MB));
    expect(err.codec).toBe('snappy');
  });

  it('counts the running total across xerial blocks', () => {
    // Each 32 KiB block is well under the limit; only the total is not.
    const packed = compress(CompressionType.Snappy, Buffer.alloc(200 * 1024));
    tooLarge(() => decompress(CompressionType.Snappy, packed, 100 * 1024));
    expect(decompress(CompressionType.Snappy, packed, 200 * 1024).length).toBe(200 * 1024);
  });

  it('rejects a varint length longer than 32 bits as corrupt', () => {
    const block = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => decompress(CompressionType.Snappy, block, MB)).toThrow(CompressionError);
  });
});
