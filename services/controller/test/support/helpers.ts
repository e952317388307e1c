// Test helpers: a controller over in-memory stores with a manual clock and seeded
// randomness, and builders for extents and commits.

import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import type { Extent, ObjectCommit, TopicPartition } from '@stratus/partition-index';
import { Controller, MemoryMetadataStore } from '../../src/index.ts';
import type { ControllerOptions } from '../../src/index.ts';

export const BROKER_1 = { nodeId: 1, host: 'b1.local', port: 9092, rack: null };
export const BROKER_2 = { nodeId: 2, host: 'b2.local', port: 9092, rack: 'r2' };

export interface Harness {
  readonly controller: Controller;
  readonly store: MemoryMetadataStore;
  readonly objectStore: MemoryObjectStore;
  readonly clock: ManualClock;
  readonly errors: { error: unknown; context: string }[];
}

export type HarnessOptions = Partial<Omit<ControllerOptions, 'store' | 'objectStore' | 'clock' | 'random'>> & {
  readonly store?: MemoryMetadataStore;
  readonly objectStore?: MemoryObjectStore;
  readonly clock?: ManualClock;
  readonly seed?: number;
};

export async function openHarness(options: HarnessOptions = {}): Promise<Harness> {
  const store = options.store ?? new MemoryMetadataStore();
  const objectStore = options.objectStore ?? new MemoryObjectStore();
  const clock = options.clock ?? new ManualClock();
  const errors: { error: unknown; context: string }[] = [];
  const { seed, ...rest } = options;
  const controller = await Controller.open({
    onBackgroundError: (error, context) => errors.push({ error, context }),
    ...rest,
    store,
    objectStore,
    clock,
    random: new SeededRandom(seed ?? 42),
  });
  return { controller, store, objectStore, clock, errors };
}

/** Creates a topic and returns its id (fails the test on any error). */
export async function createTopic(c: Controller, name: string, numPartitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const [r] = await c.createTopics([{ name, numPartitions, replicationFactor: 1, configs }], { validateOnly: false });
  if (r === undefined || r.errorCode !== 0 || r.topic === null) throw new Error(`createTopic ${name}: ${r?.errorMessage}`);
  return r.topic.topicId;
}

export function extent(tp: TopicPartition, objectKey: string, baseOffset: number, lastOffset: number, leaderEpoch = 0, extra: Partial<Extent> = {}): Extent {
  return { ...tp, objectKey, objectSize: 1000, baseOffset, lastOffset, position: 8, length: 10, maxTimestamp: 0, leaderEpoch, ...extra };
}

export function commitOf(objectKey: string, extents: readonly Extent[], objectSize = 1000): ObjectCommit {
  return { objectKey, objectSize, extents };
}

/** Lets queued setImmediate callbacks (store appends) run. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
}
