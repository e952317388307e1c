// FrameReader on its own: frames split at every byte boundary, many frames per chunk,
// zero-copy for frames inside one chunk, one copy for frames spanning chunks, and sizes
// that the connection must judge (negative, huge) before any body is buffered.

import { describe, expect, it } from 'vitest';
import { FrameReader } from '../../src/network/framing.ts';

function frameOf(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

const bodies = [Buffer.alloc(0), Buffer.from([1]), Buffer.from('abc'), Buffer.from('0123456'), Buffer.alloc(40, 7)];
const stream = Buffer.concat(bodies.map(frameOf));

/** Feeds the pieces and drains every complete frame after each one. */
function parse(pieces: readonly Buffer[]): Buffer[] {
  const reader = new FrameReader();
  const out: Buffer[] = [];
  for (const piece of pieces) {
    reader.push(piece);
    for (let size = reader.peekSize(); size !== undefined; size = reader.peekSize()) {
      const frame = reader.takeFrame(size);
      if (frame === undefined) break;
      out.push(Buffer.from(frame));
    }
  }
  expect(reader.bufferedBytes).toBe(0);
  return out;
}

describe('FrameReader', () => {
  it('reassembles frames split at every pair of byte boundaries', () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const got = parse([stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]);
        expect(got, `cuts at ${i} and ${j}`).toEqual(bodies);
      }
    }
  });

  it('reassembles frames fed one byte at a time', () => {
    const pieces = [...stream].map((b) => Buffer.from([b]));
    expect(parse(pieces)).toEqual(bodies);
  });

  it('returns frames inside one chunk as zero-copy views of it', () => {
    const many = Buffer.concat(Array.from({ length: 1000 }, (_, i) => frameOf(Buffer.from(`frame-${i}`))));
    const reader = new FrameReader();
    reader.push(many);
    for (let i = 0; i < 1000; i++) {
      const frame = reader.takeFrame(reader.peekSize()!)!;
      expect(frame.toString()).toBe(`frame-${i}`);
      expect(frame.buffer).toBe(many.buffer);
    }
    expect(reader.peekSize()).toBeUndefined();
    expect(reader.bufferedBytes).toBe(0);
  });

  it('copies a frame spanning chunks exactly once into a fresh buffer', () => {
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const whole = frameOf(body);
    const reader = new FrameReader();
    for (let at = 0; at < whole.length; at += 1000) {
      expect(reader.takeFrame(body.length)).toBeUndefined();
      reader.push(whole.subarray(at, at + 1000));
    }
    const frame = reader.takeFrame(reader.peekSize()!)!;
    expect(frame.equals(body)).toBe(true);
    expect(frame.buffer).not.toBe(whole.buffer);
    expect(reader.bufferedBytes).toBe(0);
  });

  it('consumes nothing until the whole frame has arrived', () => {
    const reader = new FrameReader();
    const whole = frameOf(Buffer.from('hello'));
    reader.push(whole.subarray(0, 6));
    expect(reader.peekSize()).toBe(5);
    expect(reader.takeFrame(5)).toBeUndefined();
    expect(reader.bufferedBytes).toBe(6);
    reader.push(whole.subarray(6));
    expect(reader.takeFrame(5)?.toString()).toBe('hello');
  });

  it('reports negative and huge sizes as they are, also when the prefix straddles chunks', () => {
    for (const [bytes, size] of [
      [[0xff, 0xff, 0xff, 0xff], -1],
      [[0x80, 0, 0, 0], -(2 ** 31)],
      [[0x40, 0, 0, 0], 2 ** 30],
      [[0x7f, 0xff, 0xff, 0xff], 2 ** 31 - 1],
    ] as const) {
      const whole = new FrameReader();
      whole.push(Buffer.from(bytes));
      expect(whole.peekSize()).toBe(size);
      const split = new FrameReader();
      for (const b of bytes) split.push(Buffer.from([b]));
      expect(split.peekSize()).toBe(size);
    }
  });

  it('clear drops everything buffered', () => {
    const reader = new FrameReader();
    reader.push(stream);
    reader.clear();
    expect(reader.bufferedBytes).toBe(0);
    expect(reader.peekSize()).toBeUndefined();
  });
});
