// writeAll, the file store's write loop: every byte in order despite short writes, and an
// fdatasync after each ~syncEveryBytes so one object's flush does not come all at once.

import type { FileHandle } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { writeAll } from '../src/adapters/file-io.ts';

/** A FileHandle that records writev sizes and datasyncs, writing at most `maxPerWrite` bytes per call. */
function recordingHandle(maxPerWrite = Infinity) {
  const events: string[] = [];
  const out: number[] = [];
  const fh = {
    writev: async (buffers: Uint8Array[]) => {
      let budget = maxPerWrite;
      let n = 0;
      for (const b of buffers) {
        const take = Math.min(b.length, budget);
        for (let i = 0; i < take; i++) out.push(b[i]!);
        n += take;
        budget -= take;
        if (budget <= 0) break;
      }
      events.push(`write ${n}`);
      return { bytesWritten: n, buffers };
    },
    datasync: async () => void events.push('sync'),
  } as unknown as FileHandle;
  return { fh, events, out };
}

const chunk = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);

describe('writeAll', () => {
  it('fdatasyncs between groups of about syncEveryBytes, never after the last (the caller does)', async () => {
    const { fh, events, out } = recordingHandle();
    const chunks = Array.from({ length: 8 }, (_, i) => chunk(300, i));
    await writeAll(fh, chunks, 2400, 1000);
    expect(events).toEqual(['write 900', 'sync', 'write 900', 'sync', 'write 600']);
    expect(Buffer.from(out).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('writes a chunk larger than syncEveryBytes alone, and without the option never syncs', async () => {
    const a = recordingHandle();
    await writeAll(a.fh, [chunk(100, 1), chunk(5000, 2), chunk(100, 3)], 5200, 1000);
    expect(a.events).toEqual(['write 100', 'sync', 'write 5000', 'sync', 'write 100']);
    const b = recordingHandle();
    await writeAll(b.fh, [chunk(100, 1), chunk(5000, 2)], 5100);
    expect(b.events).toEqual(['write 5100']);
  });

  it('continues short writes where they stopped, bytes in order', async () => {
    const { fh, events, out } = recordingHandle(250);
    const chunks = [chunk(300, 1), chunk(300, 2), chunk(0, 9), chunk(300, 3)];
    await writeAll(fh, chunks, 900, 600);
    expect(events).toEqual(['write 250', 'write 250', 'write 100', 'sync', 'write 250', 'write 50']);
    expect(Buffer.from(out).equals(Buffer.concat(chunks))).toBe(true);
  });
});
