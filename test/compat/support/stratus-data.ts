// Looking into a `stratus dev` data directory from the outside, for the restart tests:
// the stream-set objects under objects/ (through FileObjectStore and each object's own
// index), and the controller's durable state under metadata/ (its journal and snapshot,
// replayed on a copy, so the running broker's files are never opened or repaired).

import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileJournalStore, applyRecord, emptyState, stateFromSections } from '@stratus/controller';
import type { ControllerState } from '@stratus/controller';
import { FileObjectStore } from '@stratus/objectstore';
import { readStreamSetIndex } from '@stratus/storage';
import type { Extent } from '@stratus/storage';

export interface StoredObject {
  readonly key: string;
  readonly size: number;
  /** The object's own index: every extent it holds. */
  readonly extents: readonly Extent[];
}

/** Every object in the data directory's file:// object store, with its index. */
export async function storedObjects(dataDir: string): Promise<StoredObject[]> {
  const store = await FileObjectStore.open(path.join(dataDir, 'objects'));
  try {
    const out: StoredObject[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('', cursor === undefined ? {} : { cursor });
      for (const o of page.objects) {
        if (!o.key.endsWith('.sso')) continue;
        out.push({ key: o.key, size: o.size, extents: await readStreamSetIndex(store, o.key, o.size) });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return out;
  } finally {
    await store.close();
  }
}

/**
 * The controller state the data directory's metadata journal holds right now: what a
 * controller opening it would load. Reads a copy (a journal being appended to may show a
 * torn tail, which recovery of the copy cuts: that part was not durable, hence not acknowledged).
 */
export async function durableControllerState(dataDir: string): Promise<ControllerState> {
  const copy = await mkdtemp(path.join(os.tmpdir(), 'stratus-metadata-copy-'));
  try {
    await cp(path.join(dataDir, 'metadata'), copy, { recursive: true });
    const store = await FileJournalStore.open({ dir: copy });
    try {
      const loaded = await store.load();
      const state = loaded.snapshot === null ? emptyState() : await stateFromSections(loaded.snapshot.sections);
      for await (const batch of loaded.batches) for (const r of batch.records) applyRecord(state, r);
      return state;
    } finally {
      await store.close();
    }
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/** The offsets of [from, to] that no extent in `extents` (of one partition) covers, as ranges. */
export function uncovered(extents: readonly Extent[], from: number, to: number): string[] {
  const sorted = [...extents].sort((a, b) => a.baseOffset - b.baseOffset);
  const holes: string[] = [];
  let next = from;
  for (const e of sorted) {
    if (e.lastOffset < next) continue;
    if (e.baseOffset > to) break;
    if (e.baseOffset > next) holes.push(`${next}-${e.baseOffset - 1}`);
    next = e.lastOffset + 1;
    if (next > to) break;
  }
  if (next <= to) holes.push(`${next}-${to}`);
  return holes;
}
