// The simplest ExtentReader: one ranged GET per read, no caching. For tests and tools;
// brokers read through the BlockCache.

import type { ObjectStore } from '@stratus/objectstore';
import type { ExtentReader } from './partition-log.ts';

export function storeReader(store: ObjectStore): ExtentReader {
  return {
    read: (objectKey, position, length) => store.get(objectKey, { start: position, end: position + length }),
  };
}
