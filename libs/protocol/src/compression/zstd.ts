// zstd via node:zlib (Node 24 ships libzstd). Decompression is streaming, so frames
// without a content size (zstd-jni's streaming output, as the Java client writes) work,
// and maxOutputLength bounds memory the same way as for gzip.

import zlib from 'node:zlib';
import { CompressionError, describe, isTooLarge } from './compression-error.ts';

export function zstdCompress(data: Buffer, level?: number): Buffer {
  if (level === undefined) return zlib.zstdCompressSync(data);
  return zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } });
}

export function zstdDecompress(data: Buffer, maxOutputBytes: number): Buffer {
  let out: Buffer;
  try {
    out = zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (err) {
    if (isTooLarge(err)) throw new CompressionError('zstd', 'too_large', `output exceeds ${maxOutputBytes} bytes`, err);
    throw new CompressionError('zstd', 'corrupt', describe(err), err);
  }
  if (out.length > maxOutputBytes) throw new CompressionError('zstd', 'too_large', `output exceeds ${maxOutputBytes} bytes`);
  return out;
}
