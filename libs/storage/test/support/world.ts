// A storage engine wired to real parts for tests: the segmented WAL on a temp dir (or an
// injected file system), the memory object store behind the metrics wrapper (exact
// request counts), the in-memory partition index, and a manual clock that moves only
// when the test says so.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryObjectStore, ObjectStoreMetrics, withMetrics } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import type { FileSystem, WalOptions } from '@stratus/wal';
import { InMemoryPartitionIndex } from '@stratus/partition-index';
import { StorageEngine } from '../../src/engine.ts';
import type { StorageEngineOptions } from '../../src/engine.ts';
import { storeReader } from '../../src/log/store-reader.ts';

export interface World {
  readonly dir: string;
  readonly clock: ManualClock;
  readonly backing: MemoryObjectStore;
  readonly metrics: ObjectStoreMetrics;
  store: ObjectStore;
  readonly index: InMemoryPartitionIndex;
  readonly errors: { error: unknown; context: string }[];
  open(overrides?: Partial<StorageEngineOptions>, walOverrides?: Partial<WalOptions>): Promise<StorageEngine>;
  cleanup(): void;
}

export function makeWorld(options: { fs?: FileSystem; seed?: number } = {}): World {
  const dir = options.fs ? '/wal' : mkdtempSync(join(tmpdir(), 'stratus-storage-'));
  const clock = new ManualClock();
  const backing = new MemoryObjectStore('test');
  const metrics = new ObjectStoreMetrics();
  const world: World = {
    dir,
    clock,
    backing,
    metrics,
    store: withMetrics(backing, metrics),
    index: new InMemoryPartitionIndex(),
    errors: [],
    async open(overrides = {}, walOverrides = {}) {
      const { wal } = await openWal({ dir, clock, segmentBytes: 256 * 1024, capacityBytes: 64 * 1024 * 1024, ...(options.fs ? { fs: options.fs } : {}), ...walOverrides });
      return StorageEngine.open({
        wal,
        store: world.store,
        index: world.index,
        reader: storeReader(world.store),
        clock,
        random: new SeededRandom(options.seed ?? 1),
        nodeId: 1,
        keyPrefix: 'test',
        upload: { maxObjectBytes: 64 * 1024, maxDelayMs: 500, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 },
        onError: (error, context) => world.errors.push({ error, context }),
        ...overrides,
      });
    },
    cleanup() {
      if (!options.fs) rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Lets pending I/O and promise chains run: a few turns of the event loop. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/**
 * Advances the manual clock in steps until `done()` holds. Between steps, real time
 * passes too (a millisecond), because the WAL's writes and fsyncs are real I/O.
 */
export async function runUntil(clock: ManualClock, done: () => boolean, stepMs = 10, maxSteps = 2000): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    await settle(5);
    if (done()) return;
    await new Promise((r) => setTimeout(r, 1));
    if (done()) return;
    await clock.advance(stepMs);
  }
  throw new Error(`condition not reached after ${maxSteps} steps of ${stepMs} ms`);
}
