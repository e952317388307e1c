// Runs the MetadataStore contract (metadata-store.contract.ts) against the three stores:
// memory://, file:// (FileJournalStore on the memory file system, whose fault injection
// breaks appends) and redis:// (RedisMetadataStore on a real redis-server started here,
// AOF appendfsync always; stopping the server breaks appends). Every Redis backend gets
// its own key prefix on the one server, so cases do not see each other's keys.

import { afterAll, beforeAll } from 'vitest';
import { ManualClock } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { FileJournalStore, MemoryMetadataStore, openMetadataStore } from '../src/index.ts';
import type { MetadataStore } from '../src/index.ts';
import { RedisServer } from '@stratus/controller/testing';
import { CONTRACT_MAX_ENTRY_BYTES, defineMetadataStoreContract } from './metadata-store.contract.ts';

let redis: RedisServer;
let prefixes = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
});

afterAll(async () => {
  await redis?.cleanup();
});

defineMetadataStoreContract({
  name: 'memory://',
  fresh: async () => {
    let last: MemoryMetadataStore | undefined;
    return {
      splitsLargeBatches: false,
      open: async () => (last = last === undefined ? new MemoryMetadataStore() : last.reopen()),
      breakAppends: async (store) => (store as MemoryMetadataStore).failAppends(),
      heal: async () => undefined,
      cleanup: async () => undefined,
    };
  },
});

defineMetadataStoreContract({
  name: 'file://',
  fresh: async () => {
    const fs = new MemoryFileSystem();
    return {
      splitsLargeBatches: true,
      open: () => FileJournalStore.open({ dir: '/data/metadata', fs, clock: new ManualClock(), wal: { segmentBytes: 16 * 1024, maxRecordBytes: CONTRACT_MAX_ENTRY_BYTES }, snapshot: { chunkBytes: 1024, sectionEntries: 50 } }),
      breakAppends: async () => fs.inject({ op: 'datasync', error: 'EIO' }),
      heal: async () => fs.clearFaults(),
      cleanup: async () => undefined,
    };
  },
});

defineMetadataStoreContract({
  name: 'redis://',
  fresh: async () => {
    const prefix = `contract${prefixes++}:`;
    const opened: MetadataStore[] = [];
    return {
      splitsLargeBatches: true,
      open: async () => {
        // Through the factory, as a controller opens it; small values and chunks so that splitting and chunking are exercised.
        const store = await openMetadataStore(`${redis.url}?prefix=${prefix}&maxValueBytes=${CONTRACT_MAX_ENTRY_BYTES}&snapshotChunkBytes=1024`, { epoch: 0, redis: { sectionEntries: 50 } });
        opened.push(store);
        return store;
      },
      breakAppends: () => redis.stop(),
      heal: () => redis.restart(),
      cleanup: async () => {
        await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
      },
    };
  },
});
