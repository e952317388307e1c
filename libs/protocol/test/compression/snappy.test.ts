// Snappy framing: Java clients send xerial-framed snappy, librdkafka and franz-go send a
// raw block. The vectors below are written out by hand from the two formats' specs so
// the test does not just check the codec against itself.

import { describe, expect, it } from 'vitest';
import { compress, CompressionError, CompressionType, decompress } from '../../src/compression/index.ts';

const XERIAL_HEADER = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1];
/** Raw snappy of "hello": uvarint length 5, literal tag ((5 - 1) << 2), the bytes. */
const RAW_HELLO = [0x05, 0x10, ...Buffer.from('hello')];
/** Raw snappy of " world": length 6, literal tag ((6 - 1) << 2). */
const RAW_WORLD = [0x06, 0x14, ...Buffer.from(' world')];

describe('snappy framing', () => {
  it('decodes a hand-built raw block', () => {
    expect(decompress(CompressionType.Snappy, Buffer.from(RAW_HELLO), 100).toString()).toBe('hello');
  });

  it('decodes a hand-built xerial stream with two blocks', () => {
    const xerial = Buffer.from([...XERIAL_HEADER, 0, 0, 0, RAW_HELLO.length, ...RAW_HELLO, 0, 0, 0, RAW_WORLD.length, ...RAW_WORLD]);
    expect(decompress(CompressionType.Snappy, xerial, 100).toString()).toBe('hello world');
  });

  it('decodes a xerial stream with no blocks as empty', () => {
    expect(decompress(CompressionType.Snappy, Buffer.from(XERIAL_HEADER), 100).length).toBe(0);
  });

  it('writes xerial framing by default, byte for byte as the spec says', () => {
    const packed = compress(CompressionType.Snappy, Buffer.from('hello'));
    expect([...packed]).toEqual([...XERIAL_HEADER, 0, 0, 0, RAW_HELLO.length, ...RAW_HELLO]);
  });

  it('writes a bare raw block when asked', () => {
    expect([...compress(CompressionType.Snappy, Buffer.from('hello'), { snappyFormat: 'raw' })]).toEqual(RAW_HELLO);
  });

  it('splits xerial output into 32 KiB blocks like snappy-java', () => {
    const data = Buffer.alloc(100 * 1024, 0x61);
    const packed = compress(CompressionType.Snappy, data);
    let pos = XERIAL_HEADER.length;
    let blocks = 0;
    while (pos < packed.length) {
      pos += 4 + packed.readInt32BE(pos);
      blocks++;
    }
    expect(pos).toBe(packed.length);
    expect(blocks).toBe(4);
    expect(decompress(CompressionType.Snappy, packed, data.length).equals(data)).toBe(true);
  });

  it('both shapes of the same data decode to the same bytes', () => {
    const data = Buffer.from('the same payload, twice over: the same payload, twice over');
    const xerial = compress(CompressionType.Snappy, data, { snappyFormat: 'xerial' });
    const raw = compress(CompressionType.Snappy, data, { snappyFormat: 'raw' });
    expect(xerial.equals(raw)).toBe(false);
    expect(decompress(CompressionType.Snappy, xerial, 1000).equals(data)).toBe(true);
    expect(decompress(CompressionType.Snappy, raw, 1000).equals(data)).toBe(true);
  });

  it('rejects a xerial block that runs past the input', () => {
    const bad = Buffer.from([...XERIAL_HEADER, 0, 0, 0, 50, ...RAW_HELLO]);
    expect(() => decompress(CompressionType.Snappy, bad, 100)).toThrow(CompressionError);
  });

  it('rejects a xerial stream with a truncated block length', () => {
    const bad = Buffer.from([...XERIAL_HEADER, 0, 0]);
    expect(() => decompress(CompressionType.Snappy, bad, 100)).toThrow(CompressionError);
  });

  it('rejects a raw block whose declared length disagrees with its content', () => {
    const bad = Buffer.from(RAW_HELLO);
    bad[0] = 9;
    expect(() => decompress(CompressionType.Snappy, bad, 100)).toThrow(CompressionError);
  });
});
