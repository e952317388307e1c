// The uploader tells onUploaded about every object it committed — its size, its entries,
// how long the PUT took and how long from the PUT's start to the commit's end — which is
// what the uploader's latency and object-size metrics observe (issue 12 §1). The store
// answers PUTs after a delay the test sets; the committer after another.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { buildRecordBatch } from '@stratus/protocol';
import { SeededRandom, systemClock } from '@stratus/runtime';
import { InMemoryPartitionIndex } from '@stratus/partition-index';
import type { CommitResult, ObjectCommit } from '@stratus/partition-index';
import { Uploader } from '../src/log/uploader.ts';
import type { UploadTimings } from '../src/log/uploader.ts';
import { TOPIC_A } from './support/batches.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const PUT_MS = 60;
const COMMIT_MS = 40;

describe('Uploader.onUploaded', () => {
  it('reports each committed object once, with its bytes, entries, PUT time and PUT-to-commit time', async () => {
    const backing = new MemoryObjectStore('uploader-timings');
    const store: ObjectStore = new Proxy(backing, {
      get: (target, prop) => {
        if (prop === 'put') return async (...args: Parameters<ObjectStore['put']>) => (await sleep(PUT_MS), target.put(...args));
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const index = new InMemoryPartitionIndex();
    index.setLeaderEpoch({ topicId: TOPIC_A, partition: 0 }, 0);
    const uploads: UploadTimings[] = [];
    const uploader = new Uploader({
      store,
      committer: { commit: async (c: ObjectCommit): Promise<CommitResult> => (await sleep(COMMIT_MS), index.commit(c)) },
      trim: async () => undefined,
      clock: systemClock,
      random: new SeededRandom(5),
      nodeId: 1,
      keyPrefix: 'timings',
      maxDelayMs: 1000,
      urgentDelayMs: 0,
      onUploaded: (u) => uploads.push(u),
    });
    uploader.start();
    const batches = [0, 1, 2].map((offset) => buildRecordBatch({ baseOffset: offset, records: [{ value: `r${offset}`, timestamp: 1 }] }));
    // Three entries queued together: one object.
    await Promise.all(batches.map((batch, i) => uploader.add({ seq: i, topicId: TOPIC_A, partition: 0, leaderEpoch: 0, baseOffset: i, lastOffset: i, maxTimestamp: 1, batch, urgent: true })));
    await uploader.stop({ flush: true });
    expect(uploads.length).toBe(uploader.stats.objects);
    expect(uploads.length).toBe(1);
    const [u] = uploads;
    expect(u!.entries).toBe(3);
    expect(u!.bytes).toBe(uploader.stats.bytes);
    expect(u!.bytes).toBeGreaterThan(batches.reduce((n, b) => n + b.length, 0));
    expect(u!.putMs).toBeGreaterThanOrEqual(PUT_MS - 5);
    expect(u!.uploadMs).toBeGreaterThanOrEqual(u!.putMs + COMMIT_MS - 5);
    expect(u!.oldestEntryMs).toBeGreaterThanOrEqual(u!.uploadMs);
  });
});
