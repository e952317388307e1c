// openWal's option validation: every bad value is refused with a message naming the
// option, and defaults adapt to small segments.

import { describe, expect, it } from 'vitest';
import { WAL_DEFAULTS } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { resolveWalOptions } from '../src/options.ts';
import { openMemoryWal } from './support/helpers.ts';

describe('openWal options', () => {
  it('uses the documented defaults', () => {
    const o = resolveWalOptions({ dir: '/wal', fs: new MemoryFileSystem() });
    expect(o).toMatchObject({
      segmentBytes: 64 * 1024 * 1024,
      flushMaxBytes: WAL_DEFAULTS.flushMaxBytes,
      flushMaxDelayMs: 0,
      capacityBytes: 1024 * 1024 * 1024,
      appendWaitMs: 5000,
      maxRecordBytes: 16 * 1024 * 1024,
    });
  });

  it('shrinks the default record limit to fit small segments', () => {
    expect(resolveWalOptions({ dir: '/wal', segmentBytes: 1024 }).maxRecordBytes).toBe(1024 - 44);
  });

  const bad: [string, Record<string, unknown>][] = [
    ['dir', { dir: '' }],
    ['segmentBytes', { segmentBytes: 100 }],
    ['segmentBytes', { segmentBytes: 2 ** 31 }],
    ['segmentBytes', { segmentBytes: 4096.5 }],
    ['maxRecordBytes', { segmentBytes: 4096, maxRecordBytes: 4096 }],
    ['maxRecordBytes', { maxRecordBytes: 0 }],
    ['flushMaxBytes', { flushMaxBytes: 0 }],
    ['flushMaxDelayMs', { flushMaxDelayMs: -1 }],
    ['flushMaxDelayMs', { flushMaxDelayMs: Number.NaN }],
    ['capacityBytes', { segmentBytes: 4096, capacityBytes: 8191 }],
    ['appendWaitMs', { appendWaitMs: Infinity }],
  ];
  for (const [name, options] of bad) {
    it(`refuses ${name} = ${String(Object.values(options).at(-1))}`, async () => {
      await expect(openMemoryWal(new MemoryFileSystem(), options)).rejects.toThrow(new RegExp(`option ${name}`));
    });
  }
});
