// Picks the metadata store by URL scheme, in one place: `file:///abs/dir` or
// `file://./rel/dir` (embedded mode's journal + snapshot), `memory://` (tests),
// `redis://`, `rediss://` and `redis+sentinel://` (a controller cluster: redis-store.ts).
// A Redis store writes with the controller epoch of the election lease, so it needs
// `epoch`; the file and memory stores have one writer by construction and ignore it.

import { fileURLToPath } from 'node:url';
import type { Clock } from '@stratus/runtime';
import type { FileSystem } from '@stratus/wal';
import { FileJournalStore } from './file-journal-store.ts';
import type { JournalWalOptions } from './file-journal-store.ts';
import { MemoryMetadataStore } from './memory-store.ts';
import type { MetadataStore } from './metadata-store.ts';
import { RedisMetadataStore } from './redis-store.ts';
import type { RedisMetadataStoreOptions } from './redis-store.ts';
import { isRedisUrl } from './redis-url.ts';

export interface OpenMetadataStoreOptions {
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  readonly wal?: JournalWalOptions;
  /** The controller epoch a Redis store fences its writes with (required for Redis URLs). */
  readonly epoch?: number;
  /** Further settings of a Redis store (TLS, Sentinel credentials, limits); url and epoch come from above. */
  readonly redis?: Omit<RedisMetadataStoreOptions, 'url' | 'epoch'>;
}

/** The directory of a file:// URL; `file://./data` and `file://data` are relative to the working directory. */
export function fileUrlDir(url: string): string {
  const rest = url.slice('file://'.length);
  if (rest.startsWith('/')) return fileURLToPath(url);
  if (rest.length === 0) throw new TypeError(`metadata store URL ${url} names no directory`);
  return decodeURIComponent(rest);
}

export async function openMetadataStore(url: string, options: OpenMetadataStoreOptions = {}): Promise<MetadataStore> {
  if (url.startsWith('file://')) {
    return FileJournalStore.open({
      dir: fileUrlDir(url),
      ...(options.fs !== undefined ? { fs: options.fs } : {}),
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(options.wal !== undefined ? { wal: options.wal } : {}),
    });
  }
  if (url === 'memory://' || url.startsWith('memory://')) return new MemoryMetadataStore();
  if (isRedisUrl(url)) {
    if (options.epoch === undefined) throw new TypeError('a Redis metadata store needs the controller epoch (options.epoch, from the election lease) to fence its writes');
    return RedisMetadataStore.open({ ...options.redis, url, epoch: options.epoch });
  }
  throw new TypeError(`metadata store URL ${url.replace(/\/\/([^@/]*):[^@/]*@/, '//$1:***@')} has an unknown scheme: use file://, redis://, rediss://, redis+sentinel:// (or memory:// in tests)`);
}
