import { describe, expect, it } from 'vitest';
import { MemoryTier } from '../../src/cache/memory-tier.ts';

const block = (bytes: number, fill = 1): Buffer => Buffer.allocUnsafeSlow(bytes).fill(fill);

describe('MemoryTier', () => {
  it('evicts least recently used blocks to stay within the budget, exactly', () => {
    const tier = new MemoryTier(300);
    tier.put('a', block(100));
    tier.put('b', block(100));
    tier.put('c', block(100));
    expect(tier.usedBytes).toBe(300);
    tier.get('a'); // a is now most recent; b is the oldest
    tier.put('d', block(100));
    expect(tier.has('b')).toBe(false);
    expect(['a', 'c', 'd'].every((id) => tier.has(id))).toBe(true);
    expect(tier.usedBytes).toBe(300);
    expect(tier.evictions).toBe(1);
    tier.put('e', block(250)); // needs three evictions
    expect(tier.usedBytes).toBe(250);
    expect(tier.blocks).toBe(1);
    expect(tier.evictions).toBe(4);
  });

  it('does not keep a block larger than the whole budget', () => {
    const tier = new MemoryTier(100);
    tier.put('a', block(60));
    const big = block(101);
    expect(tier.put('big', big)).toBe(big);
    expect(tier.has('big')).toBe(false);
    expect(tier.has('a')).toBe(true);
  });

  it('keeps a zero budget empty', () => {
    const tier = new MemoryTier(0);
    tier.put('a', block(10));
    expect(tier.blocks).toBe(0);
    expect(tier.usedBytes).toBe(0);
  });

  it('compacts a view that would pin a larger buffer, and accounts what it retains', () => {
    const tier = new MemoryTier(2000);
    const getBuffer = Buffer.allocUnsafeSlow(400).fill(7);
    const kept = tier.put('a', getBuffer.subarray(100, 200));
    expect(kept.buffer).not.toBe(getBuffer.buffer);
    expect(kept.buffer.byteLength).toBe(100);
    expect(kept.equals(getBuffer.subarray(100, 200))).toBe(true);
    expect(tier.usedBytes).toBe(100);
    // A view with little slack (a disk block behind its file header) is kept as is, and
    // the header bytes are accounted.
    const file = Buffer.allocUnsafeSlow(1040);
    const data = file.subarray(40);
    expect(tier.put('b', data)).toBe(data);
    expect(tier.usedBytes).toBe(100 + 1040);
  });

  it('returns the block already held for an id', () => {
    const tier = new MemoryTier(1000);
    const first = tier.put('a', block(10, 1));
    expect(tier.put('a', block(10, 2))).toBe(first);
    expect(tier.usedBytes).toBe(10);
  });
});
