// A broker's storage from its config (dev and broker): the block cache over the object
// store and the storage engine over the WAL, committing to `index` — the in-process
// Controller in dev, the gRPC client in a cluster.

import { join } from 'node:path';
import type { ObjectStore } from '@stratus/objectstore';
import type { Clock, Random } from '@stratus/runtime';
import { BlockCache, rejectedBatchFiles, StorageEngine } from '@stratus/storage';
import type { StorageEngineOptions, UploadTimings } from '@stratus/storage';
import { nodeFileSystem, readQuarantine } from '@stratus/wal';
import type { WriteAheadLog } from '@stratus/wal';
import type { StratusConfig } from '../config/schema.ts';
import { rateLimitedWarn } from '../log-limiter.ts';
import type { Logger } from '../logger.ts';

type UploadTimingsObserver = (upload: UploadTimings) => void;

export interface StorageParts {
  readonly cache: BlockCache;
  readonly storage: StorageEngine;
}

export async function openConfiguredStorage(o: {
  readonly config: Pick<StratusConfig, 'node' | 'clusterName' | 'storage' | 'upload' | 'cache'>;
  readonly dataDir: string;
  readonly walDir: string;
  readonly wal: WriteAheadLog;
  readonly store: ObjectStore;
  readonly index: StorageEngineOptions['index'];
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly onFatal: (error: Error) => void;
  /** Told about every object uploaded and committed (the uploader's metrics). */
  readonly onUploaded?: UploadTimingsObserver;
}): Promise<StorageParts> {
  const { config, dataDir, log } = o;
  // An object store that is down fails every retry and every cache miss: one line per kind of failure per interval.
  const warn = rateLimitedWarn(log);
  const cache = new BlockCache({
    store: o.store,
    blockBytes: config.cache.blockBytes,
    memoryBytes: config.cache.memoryBytes,
    diskBytes: config.cache.diskBytes,
    ...(config.cache.diskBytes > 0 ? { diskDir: join(dataDir, 'cache') } : {}),
    onError: (error, context) => warn({ err: error, context }, 'block cache', `block cache: ${context}`),
  });
  const storage = await StorageEngine.open({
    wal: o.wal,
    store: o.store,
    index: o.index,
    reader: cache,
    clock: o.clock,
    random: o.random,
    nodeId: config.node.id,
    keyPrefix: config.clusterName,
    pendingBytes: config.storage.pendingBytes,
    tailBytes: config.storage.tailBytes,
    appendWaitMs: config.storage.appendWait,
    readAheadBytes: config.storage.readAheadBytes,
    upload: {
      maxObjectBytes: config.upload.maxBytes,
      maxDelayMs: config.upload.maxDelay,
      urgentDelayMs: config.upload.urgentDelay,
      maxConcurrentUploads: config.upload.maxConcurrent,
      ...(o.onUploaded !== undefined ? { onUploaded: o.onUploaded } : {}),
    },
    onError: (error: unknown, context: string): void => warn({ err: error, context }, `storage: ${context}`),
    onFatal: o.onFatal,
    // Acknowledged batches no object will hold (their commit was rejected) are kept here before the WAL lets them go.
    keepRejected: rejectedBatchFiles(nodeFileSystem, join(dataDir, 'rejected')),
    // Offsets held by records an earlier recovery set aside are never handed out again.
    setAside: readQuarantine(nodeFileSystem, o.walDir),
  });
  if (storage.recovery.requeuedEntries > 0) log.info({ recovery: storage.recovery }, 'WAL recovered: re-uploading data that was durable but not yet in objects');
  return { cache, storage };
}
