// Property: whatever the appends, trims and timing, and wherever power is cut (between
// any two file-system calls, with un-synced writes dropped, kept in part or torn), the
// reopened log holds every acknowledged record, byte-exact and in order, nothing past a
// gap, and numbering continues after the last record. Several crash/reopen cycles per
// run. fast-check prints the seed and the shrunk counterexample of a failure.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import type { WriteAheadLog } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import type { UnsyncedFate } from '@stratus/wal/testing';
import { DIR, collect, payload, turns } from './support/helpers.ts';

type Step = { kind: 'append'; sizes: number[] } | { kind: 'wait'; turns: number } | { kind: 'trim'; back: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), sizes: fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), turns: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('trim' as const), back: fc.integer({ min: 0, max: 10 }) }) },
);

const cycle = fc.record({
  steps: fc.array(step, { maxLength: 25 }),
  crashAfterCalls: fc.integer({ min: 0, max: 300 }),
  fate: fc.constantFrom<UnsyncedFate>('none', 'prefix', 'any'),
});

const scenario = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  segmentBytes: fc.integer({ min: 256, max: 3000 }),
  flushMaxBytes: fc.integer({ min: 1, max: 4000 }),
  cycles: fc.array(cycle, { minLength: 1, maxLength: 3 }),
});

interface Issued {
  readonly id: number;
  readonly size: number;
}

describe('crash recovery property', () => {
  it('every acknowledged append survives any crash, in order, with no gap', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ seed, segmentBytes, flushMaxBytes, cycles }) => {
        let fs = new MemoryFileSystem({ random: new SeededRandom(seed) });
        const issued = new Map<number, Issued>(); // seq → what was appended with it
        const acked = new Set<number>();
        // Highest trim bound issued. A trim still in flight at a crash may have taken
        // effect (another directory fsync, e.g. a segment roll's, can make its unlinks
        // durable), so only records at or above every issued bound must survive.
        let trimmedTo = 0;
        let nextId = 0;

        for (const { steps, crashAfterCalls, fate } of cycles) {
          const { wal, recovery } = await openWal({ dir: DIR, fs, segmentBytes, flushMaxBytes, clock: new ManualClock() });
          await check(wal, recovery.nextSeq, issued, acked, trimmedTo);
          void fs.freezeAfter(crashAfterCalls);
          for (const s of steps) {
            if (s.kind === 'wait') await turns(s.turns);
            else if (s.kind === 'trim') {
              const upTo = Math.max(0, Math.max(-1, ...acked) + 1 - s.back);
              trimmedTo = Math.max(trimmedTo, upTo);
              void wal.trim(upTo).catch(() => undefined);
            } else {
              for (const size of s.sizes) {
                const seq = wal.stats().nextSeq; // admitted at once: the budget is never reached here
                const entry = { id: nextId++, size };
                issued.set(seq, entry);
                void wal.append(payload(entry.id, size)).then(
                  (got) => {
                    expect(got).toBe(seq);
                    acked.add(got);
                  },
                  () => undefined,
                );
              }
            }
          }
          await turns(30);
          fs = fs.crash({ keepUnsynced: fate });
        }
        const { wal, recovery } = await openWal({ dir: DIR, fs, segmentBytes, flushMaxBytes, clock: new ManualClock() });
        await check(wal, recovery.nextSeq, issued, acked, trimmedTo);
        await wal.close();
      }),
      { numRuns: 300 },
    );
  });
});

/** The reopened log against what was acknowledged; also drops from `issued` the seqs that did not survive. */
async function check(wal: WriteAheadLog, nextSeq: number, issued: Map<number, Issued>, acked: Set<number>, trimmedTo: number): Promise<void> {
  const records = await collect(wal.replay());
  const seqs = records.map((r) => r.seq);
  // Contiguous, ending right before nextSeq.
  if (seqs.length > 0) {
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(seqs.at(-1)! + 1).toBe(nextSeq);
  }
  // Byte-exact: each record is what was appended with its seq.
  for (const r of records) {
    const entry = issued.get(r.seq);
    expect(entry, `seq ${r.seq} was never appended`).toBeDefined();
    expect(r.data.equals(payload(entry!.id, entry!.size))).toBe(true);
  }
  // Every acknowledged, untrimmed record is there, and numbering does not go back.
  const held = new Set(seqs);
  for (const seq of acked) {
    if (seq >= trimmedTo) expect(held.has(seq), `acknowledged seq ${seq} lost`).toBe(true);
    expect(nextSeq).toBeGreaterThan(seq);
  }
  // Appends that were lost (never acknowledged) may be numbered again from here on.
  for (const seq of [...issued.keys()]) if (seq >= nextSeq) issued.delete(seq);
}
