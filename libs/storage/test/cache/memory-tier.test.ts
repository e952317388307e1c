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

  it('keeps views as they are and accounts each backing buffer once, until its last block goes', () => {
    const tier = new MemoryTier(8000);
    const getBuffer = Buffer.allocUnsafeSlow(800).fill(7);
    const a = tier.put('a', getBuffer.subarray(0, 400));
    expect(a.buffer).toBe(getBuffer.buffer); // no copy
    expect(tier.usedBytes).toBe(800); // the whole GET buffer it pins
    tier.put('b', getBuffer.subarray(400, 800));
    expect(tier.usedBytes).toBe(800); // same backing buffer: counted once
    tier.put('c', block(5000));
    expect(tier.usedBytes).toBe(5800);
    tier.put('d', block(3000)); // evicts a, then b: only then is the GET buffer released
    expect(tier.has('a')).toBe(false);
    expect(tier.has('b')).toBe(false);
    expect(tier.usedBytes).toBe(8000);
    tier.put('e', block(100)); // evicts c
    expect(tier.usedBytes).toBe(3100);
    // A view with a little slack (a disk block behind its file header) counts its header too.
    const file = Buffer.allocUnsafeSlow(1040);
    const data = file.subarray(40);
    expect(tier.put('f', data)).toBe(data);
    expect(tier.usedBytes).toBe(3100 + 1040);
  });

  it('copies a view out of a buffer larger than an eighth of the budget, and keeps only the copy', () => {
    const tier = new MemoryTier(3000);
    const huge = Buffer.allocUnsafeSlow(4000).fill(3);
    const kept = tier.put('v', huge.subarray(0, 100));
    expect(kept.buffer).not.toBe(huge.buffer);
    expect(kept.equals(huge.subarray(0, 100))).toBe(true);
    expect(tier.usedBytes).toBe(100);
  });

  it('returns the block already held for an id', () => {
    const tier = new MemoryTier(1000);
    const first = tier.put('a', block(10, 1));
    expect(tier.put('a', block(10, 2))).toBe(first);
    expect(tier.usedBytes).toBe(10);
  });
});
