// gzip via node:zlib. zlib's maxOutputLength stops inflating as soon as the output
// passes the limit, so a bomb costs at most the limit in memory.

import zlib from 'node:zlib';
import { CompressionError, describe, isTooLarge } from './compression-error.ts';

export function gzipCompress(data: Buffer, level?: number): Buffer {
  return zlib.gzipSync(data, level === undefined ? {} : { level });
}

export function gzipDecompress(data: Buffer, maxOutputBytes: number): Buffer {
  let out: Buffer;
  try {
    // zlib rejects a limit of 0; an empty result still passes the check below.
    out = zlib.gunzipSync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
  } catch (err) {
    if (isTooLarge(err)) throw new CompressionError('gzip', 'too_large', `output exceeds ${maxOutputBytes} bytes`, err);
    throw new CompressionError('gzip', 'corrupt', describe(err), err);
  }
  if (out.length > maxOutputBytes) throw new CompressionError('gzip', 'too_large', `output exceeds ${maxOutputBytes} bytes`);
  return out;
}
