// The uploader PUTs several objects at once (maxConcurrentUploads) so that data that is due
// does not wait behind a PUT still in flight, and still commits them one at a time in queue
// order: a later object whose PUT finished first waits for the earlier commit, the WAL is
// trimmed in order, and with one upload at a time it behaves as before (one PUT after the
// other). The store here answers PUTs after a delay the test chooses per object.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { buildRecordBatch } from '@stratus/protocol';
import { SeededRandom, systemClock } from '@stratus/runtime';
import { InMemoryPartitionIndex } from '@stratus/partition-index';
import type { CommitResult, ObjectCommit } from '@stratus/partition-index';
import { Uploader } from '../src/log/uploader.ts';
import { TOPIC_A } from './support/batches.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function world(o: { maxConcurrentUploads: number; putDelayMs: (n: number) => number }) {
  const backing = new MemoryObjectStore('uploader-concurrency');
  let puts = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const store: ObjectStore = new Proxy(backing, {
    get: (target, prop) => {
      if (prop === 'put') {
        return async (...args: Parameters<ObjectStore['put']>) => {
          const n = puts++;
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(o.putDelayMs(n));
          inFlight--;
          return target.put(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const index = new InMemoryPartitionIndex();
  index.setLeaderEpoch({ topicId: TOPIC_A, partition: 0 }, 0);
  const commits: ObjectCommit[] = [];
  const trims: number[] = [];
  const uploader = new Uploader({
    store,
    committer: {
      async commit(c: ObjectCommit): Promise<CommitResult> {
        commits.push(c);
        return index.commit(c);
      },
    },
    trim: async (upTo) => void trims.push(upTo),
    clock: systemClock,
    random: new SeededRandom(5),
    nodeId: 1,
    keyPrefix: 'concurrency',
    maxDelayMs: 1000,
    urgentDelayMs: 0,
    maxConcurrentUploads: o.maxConcurrentUploads,
  });
  let seq = 0;
  return {
    uploader,
    commits,
    trims,
    stats: () => ({ puts, maxInFlight }),
    /** One urgent single-record batch at `offset` of partition 0; resolves at its commit. */
    add(offset: number): Promise<void> {
      const batch = buildRecordBatch({ baseOffset: offset, records: [{ value: `r${offset}`, timestamp: 1 }] });
      return uploader.add({ seq: seq++, topicId: TOPIC_A, partition: 0, leaderEpoch: 0, baseOffset: offset, lastOffset: offset, maxTimestamp: 1, batch, urgent: true });
    },
  };
}

describe('Uploader with several uploads at once', () => {
  it('starts the PUT of due data while an earlier one is in flight, and commits in queue order', async () => {
    // The first PUT takes 200 ms, the next ones 150 ms.
    const w = world({ maxConcurrentUploads: 4, putDelayMs: (n) => (n === 0 ? 200 : 150) });
    w.uploader.start();
    const t0 = Date.now();
    const first = w.add(0);
    await sleep(30);
    const secondAdded = Date.now();
    let secondCommittedAt = 0;
    const second = w.add(1).then(() => void (secondCommittedAt = Date.now()));
    await Promise.all([first, second]);
    // The second object's PUT ran beside the first; its commit waited for the first one's.
    expect(w.stats().maxInFlight).toBe(2);
    expect(w.commits.map((c) => c.extents.map((e) => e.baseOffset))).toEqual([[0], [1]]);
    expect(secondCommittedAt - t0).toBeGreaterThanOrEqual(195);
    // Committed once the first one was (~170 ms after it was added), not after both PUTs (~320 ms).
    expect(secondCommittedAt - secondAdded).toBeLessThan(280);
    expect(w.trims).toEqual([1, 2]);
    await w.uploader.stop({ flush: true });
  });

  it('keeps at most maxConcurrentUploads objects in flight, and every entry is committed once, in order', async () => {
    const w = world({ maxConcurrentUploads: 3, putDelayMs: (n) => 10 + ((n * 37) % 50) });
    w.uploader.start();
    const acks: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      acks.push(w.add(i));
      await sleep(3);
    }
    await Promise.all(acks);
    await w.uploader.stop({ flush: true });
    expect(w.stats().maxInFlight).toBeLessThanOrEqual(3);
    expect(w.stats().maxInFlight).toBeGreaterThan(1);
    // One extent per object (one partition), each continuing the last: 0..39 once, in order.
    const extents = w.commits.flatMap((c) => c.extents.map((e) => [e.baseOffset, e.lastOffset] as const));
    expect(extents[0]![0]).toBe(0);
    expect(extents.at(-1)![1]).toBe(39);
    for (let i = 1; i < extents.length; i++) expect(extents[i]![0]).toBe(extents[i - 1]![1] + 1);
    expect(w.commits.length).toBeGreaterThan(3);
    expect(w.trims).toEqual([...w.trims].sort((a, b) => a - b));
    expect(w.trims.at(-1)).toBe(40);
  });

  it('with one upload at a time, due data waits for the PUT in flight (as before)', async () => {
    const w = world({ maxConcurrentUploads: 1, putDelayMs: (n) => (n === 0 ? 200 : 150) });
    w.uploader.start();
    const first = w.add(0);
    await sleep(30);
    const secondAdded = Date.now();
    let secondCommittedAt = 0;
    const second = w.add(1).then(() => void (secondCommittedAt = Date.now()));
    await Promise.all([first, second]);
    expect(w.stats().maxInFlight).toBe(1);
    // Queued behind the first PUT (~170 ms left), then its own (150 ms).
    expect(secondCommittedAt - secondAdded).toBeGreaterThanOrEqual(300);
    await w.uploader.stop({ flush: true });
  });

  it('refuses a concurrency below one', () => {
    expect(() => world({ maxConcurrentUploads: 0, putDelayMs: () => 0 })).toThrow(/maxConcurrentUploads/);
  });
});
