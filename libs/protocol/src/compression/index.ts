// Kafka's compression codecs behind one switch on the batch's compression attribute.
// Each codec lives in its own module as the only importer of its native library, so a
// library can be replaced in one place. Decompression always takes a byte limit because
// the input comes from clients: a few KiB of zeros can expand to gigabytes.

import { CompressionError } from './compression-error.ts';
import { gzipCompress, gzipDecompress } from './gzip.ts';
import { lz4Compress, lz4Decompress } from './lz4.ts';
import { snappyCompress, snappyDecompress } from './snappy.ts';
import type { SnappyFormat } from './snappy.ts';
import { zstdCompress, zstdDecompress } from './zstd.ts';

export { CompressionError } from './compression-error.ts';
export type { CompressionCodec, CompressionErrorKind } from './compression-error.ts';
export type { SnappyFormat } from './snappy.ts';

/** The values of bits 0-2 of a batch's attributes. */
export const CompressionType = { None: 0, Gzip: 1, Snappy: 2, Lz4: 3, Zstd: 4 } as const;
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType];

export function isCompressionType(n: number): n is CompressionType {
  return Number.isInteger(n) && n >= 0 && n <= 4;
}

export interface CompressOptions {
  /** gzip 1-9, zstd 1-22; the codec's default when absent. Ignored by snappy and lz4. */
  level?: number;
  /** 'xerial' (default) is readable by every client; 'raw' is what librdkafka writes. */
  snappyFormat?: SnappyFormat;
}

/** Compresses `data`. `None` returns the input itself, not a copy. */
export function compress(type: CompressionType, data: Buffer, options: CompressOptions = {}): Buffer {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return gzipCompress(data, options.level);
    case CompressionType.Snappy:
      return snappyCompress(data, options.snappyFormat);
    case CompressionType.Lz4:
      return lz4Compress(data);
    case CompressionType.Zstd:
      return zstdCompress(data, options.level);
    default:
      throw new CompressionError('unknown', 'unsupported', `compression type ${String(type)}`);
  }
}

/**
 * Decompresses `data`, never producing more than `maxOutputBytes`. Throws
 * CompressionError (kind 'too_large' for a bomb, 'corrupt' for bad input); no other
 * exception escapes for any input bytes.
 */
export function decompress(type: CompressionType, data: Buffer, maxOutputBytes: number): Buffer {
  switch (type) {
    case CompressionType.None:
      if (data.length > maxOutputBytes) throw new CompressionError('none', 'too_large', `${data.length} bytes exceed ${maxOutputBytes}`);
      return data;
    case CompressionType.Gzip:
      return gzipDecompress(data, maxOutputBytes);
    case CompressionType.Snappy:
      return snappyDecompress(data, maxOutputBytes);
    case CompressionType.Lz4:
      return lz4Decompress(data, maxOutputBytes);
    case CompressionType.Zstd:
      return zstdDecompress(data, maxOutputBytes);
    default:
      throw new CompressionError('unknown', 'unsupported', `compression type ${String(type)}`);
  }
}
