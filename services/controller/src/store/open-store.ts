// Picks the metadata store by URL scheme, in one place: `file:///abs/dir` or
// `file://./rel/dir` (embedded mode's journal + snapshot), `memory://` (tests). A
// `redis://` store arrives with its own issue and is refused with a clear message.

import { fileURLToPath } from 'node:url';
import type { Clock } from '@stratus/runtime';
import type { FileSystem } from '@stratus/wal';
import { FileJournalStore } from './file-journal-store.ts';
import type { JournalWalOptions } from './file-journal-store.ts';
import { MemoryMetadataStore } from './memory-store.ts';
import type { MetadataStore } from './metadata-store.ts';

export interface OpenMetadataStoreOptions {
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  readonly wal?: JournalWalOptions;
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
  if (url.startsWith('redis://') || url.startsWith('rediss://')) throw new TypeError(`metadata store ${url}: the Redis store is not implemented yet; use file://`);
  throw new TypeError(`metadata store URL ${url} has an unknown scheme: use file:// (or memory:// in tests)`);
}
