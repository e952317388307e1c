import { describe, expect, it } from 'vitest';
import { BLOCK_FILE_HEADER_BYTES, BlockFileError, blockFileBytes, blockFileName, decodeBlockFile, encodeBlockFileHeader } from '../../src/cache/block-file.ts';

const id = { objectKey: 'ab/stream-set/000123', blockIndex: 7, blockBytes: 65536 };
const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
const file = (): Buffer => Buffer.concat([encodeBlockFileHeader(id, data), data]);

describe('block file format', () => {
  it('round-trips and sizes the file as header + key + data', () => {
    const f = file();
    expect(f.length).toBe(blockFileBytes(id.objectKey, data.length));
    expect(f.length).toBe(BLOCK_FILE_HEADER_BYTES + id.objectKey.length + data.length);
    expect(decodeBlockFile(f, id, data.length).equals(data)).toBe(true);
  });

  it('names files by a hash of block size, index and key', () => {
    expect(blockFileName(id)).toMatch(/^[0-9a-f]{40}\.blk$/);
    expect(blockFileName(id)).toBe(blockFileName({ ...id }));
    expect(blockFileName({ ...id, blockIndex: 8 })).not.toBe(blockFileName(id));
    expect(blockFileName({ ...id, blockBytes: 131072 })).not.toBe(blockFileName(id));
    expect(blockFileName({ ...id, objectKey: 'other' })).not.toBe(blockFileName(id));
  });

  it.each([
    ['a flipped data bit', (f: Buffer) => void (f[f.length - 1]! ^= 1), /checksum/],
    ['a torn file', (f: Buffer) => f.subarray(0, f.length - 10), /data bytes/],
    ['a zero-filled file', (f: Buffer) => void f.fill(0), /magic/],
    ['another version', (f: Buffer) => void f.writeUInt16BE(2, 4), /version/],
    ['another block index', (f: Buffer) => void f.writeUInt32BE(8, 12), /another block/],
    ['another block size', (f: Buffer) => void f.writeUInt32BE(131072, 8), /another block/],
    ['another key of the same length', (f: Buffer) => void (f[BLOCK_FILE_HEADER_BYTES] = 0x7a), /another object/],
    ['a header only', (f: Buffer) => f.subarray(0, 10), /shorter than its header/],
  ])('rejects %s', (_name, damage: (f: Buffer) => Buffer | undefined, message) => {
    const f = file();
    const damaged = damage(f) ?? f;
    expect(() => decodeBlockFile(damaged, id, data.length)).toThrow(BlockFileError);
    expect(() => decodeBlockFile(damaged, id, data.length)).toThrow(message);
  });

  it('rejects a file whose length disagrees with the block expected', () => {
    expect(() => decodeBlockFile(file(), id, data.length + 1)).toThrow(/expected/);
  });
});
