// LZ4 frames beyond what lz4-napi writes: linked blocks (allowed by the format, written by
// some LZ4F configurations), declared content sizes, and the block-by-block fallback
// decoder that enforces the output limit. Frames are assembled by hand from the LZ4 frame
// spec, with a small xxHash32 for the header checksum so the library accepts them too.

import { randomBytes } from 'node:crypto';
import lz4 from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { compress, CompressionError, CompressionType, decompress } from '../../src/compression/index.ts';

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/** xxHash32 with seed 0 for inputs under 16 bytes (a frame descriptor is at most 15). */
function xxh32Short(buf: Buffer): number {
  if (buf.length >= 16) throw new Error('short inputs only');
  let h = (P5 + buf.length) >>> 0;
  let i = 0;
  for (; i + 4 <= buf.length; i += 4) {
    h = (h + Math.imul(buf.readUInt32LE(i), P3)) >>> 0;
    h = Math.imul(rotl(h, 17), P4) >>> 0;
  }
  for (; i < buf.length; i++) {
    h = (h + Math.imul(buf[i]!, P5)) >>> 0;
    h = Math.imul(rotl(h, 11), P1) >>> 0;
  }
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

interface FrameBlock {
  stored: boolean;
  data: Buffer;
}

/** FLG version 01, 64 KiB blocks; `independent` sets B.Indep; optional content size. */
function frame(blocks: readonly FrameBlock[], opts: { independent: boolean; contentSize?: number }): Buffer {
  const flg = 0x40 | (opts.independent ? 0x20 : 0) | (opts.contentSize === undefined ? 0 : 0x08);
  const descriptor = Buffer.alloc(opts.contentSize === undefined ? 2 : 10);
  descriptor[0] = flg;
  descriptor[1] = 0x40;
  if (opts.contentSize !== undefined) descriptor.writeUInt32LE(opts.contentSize, 2);
  const parts: Buffer[] = [Buffer.from([0x04, 0x22, 0x4d, 0x18]), descriptor, Buffer.from([(xxh32Short(descriptor) >> 8) & 0xff])];
  for (const b of blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((b.stored ? 0x80000000 : 0) + b.data.length, 0);
    parts.push(size, b.data);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** A compressed block body (lz4-napi prefixes its raw output with the size; strip it). */
function compressedBlock(data: Buffer, dict?: Buffer): FrameBlock {
  return { stored: false, data: lz4.compressSync(data, dict).subarray(4) };
}

describe('lz4 frame handling', () => {
  it('computes header checksums the way lz4-napi does', () => {
    // Descriptor bytes and checksums taken from frames lz4-napi wrote.
    expect((xxh32Short(Buffer.from([0x60, 0x50])) >> 8) & 0xff).toBe(0xfb);
    expect((xxh32Short(Buffer.from([0x74, 0x40])) >> 8) & 0xff).toBe(0xbd);
  });

  it('decodes linked blocks with the library and with the limit-enforcing fallback', () => {
    const first = randomBytes(64 * 1024);
    const second = Buffer.concat([first.subarray(1000, 30_000), first.subarray(40_000, 50_000)]);
    const linked = compressedBlock(second, first);
    // The second block only makes sense with the first as its dictionary.
    expect(linked.data.length).toBeLessThan(200);
    const packed = frame([{ stored: true, data: first }, linked], { independent: false });
    const expected = Buffer.concat([first, second]);
    // Bound is 2 blocks of 64 KiB: a large limit takes the library path...
    expect(decompress(CompressionType.Lz4, packed, 1024 * 1024).equals(expected)).toBe(true);
    // ...and the exact size forces the block-by-block path.
    expect(decompress(CompressionType.Lz4, packed, expected.length).equals(expected)).toBe(true);
    expect(() => decompress(CompressionType.Lz4, packed, expected.length - 1)).toThrow(CompressionError);
  });

  it('decodes independent blocks on both paths', () => {
    const a = Buffer.alloc(50_000, 0x41);
    const b = Buffer.from('tail of the frame');
    const packed = frame([compressedBlock(a), compressedBlock(b)], { independent: true });
    const expected = Buffer.concat([a, b]);
    expect(decompress(CompressionType.Lz4, packed, 1024 * 1024).equals(expected)).toBe(true);
    expect(decompress(CompressionType.Lz4, packed, expected.length).equals(expected)).toBe(true);
  });

  it('takes the fallback for a legitimate frame whose bound exceeds the limit', () => {
    // 4 MiB + 1 byte in 4 MiB blocks: bound 8 MiB, real size just over 4 MiB.
    const data = Buffer.alloc(4 * 1024 * 1024 + 1, 0x33);
    const packed = compress(CompressionType.Lz4, data);
    expect(decompress(CompressionType.Lz4, packed, data.length).equals(data)).toBe(true);
  });

  it('rejects a declared content size over the limit before decoding', () => {
    const packed = frame([{ stored: true, data: Buffer.from('small') }], { independent: true, contentSize: 10 * 1024 * 1024 });
    let caught: unknown;
    try {
      decompress(CompressionType.Lz4, packed, 1024 * 1024);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CompressionError);
    expect((caught as CompressionError).kind).toBe('too_large');
    expect((caught as CompressionError).message).toContain('declares');
  });

  it('rejects a content size that disagrees with the blocks', () => {
    const packed = frame([{ stored: true, data: Buffer.from('small') }], { independent: true, contentSize: 6 });
    expect(() => decompress(CompressionType.Lz4, packed, 5)).toThrow(CompressionError);
  });

  it('rejects a block larger than the frame block maximum', () => {
    const packed = frame([{ stored: true, data: Buffer.alloc(64 * 1024 + 1) }], { independent: true });
    expect(() => decompress(CompressionType.Lz4, packed, 1024 * 1024)).toThrow(/maximum/);
  });

  it('rejects frames with a dictionary id as unsupported', () => {
    const packed = frame([], { independent: true });
    packed[4] = packed[4]! | 0x01;
    let caught: unknown;
    try {
      decompress(CompressionType.Lz4, packed, 100);
    } catch (err) {
      caught = err;
    }
    expect((caught as CompressionError).kind).toBe('unsupported');
  });

  it('rejects a missing end mark', () => {
    const packed = compress(CompressionType.Lz4, Buffer.from('hello hello hello'));
    expect(() => decompress(CompressionType.Lz4, packed.subarray(0, packed.length - 4), 100)).toThrow(CompressionError);
  });
});
