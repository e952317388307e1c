// CRC-32C known answers: the batch checksum must match what Kafka clients compute.

import { describe, expect, it } from 'vitest';
import { crc32c } from '../../src/records/index.ts';

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('matches RFC 3720 vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
  });

  it('is 0 for no bytes and continues a running checksum', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.from('6789'), crc32c(Buffer.from('12345')))).toBe(0xe3069283);
  });

  it('accepts a view into a larger buffer', () => {
    const big = Buffer.from('xx123456789yy');
    expect(crc32c(big.subarray(2, 11))).toBe(0xe3069283);
  });
});
