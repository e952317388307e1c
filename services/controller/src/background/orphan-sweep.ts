// Deletes orphans: objects in the store that the index does not know, neither live nor
// scheduled for deletion. They come from uploads whose commit never happened (a broker
// crashed between PUT and commit, a commit refused for good, an ambiguous PUT retried
// under a new key) and from merges the controller refused or lost in a crash.
//
// What makes it safe:
// - only this cluster's objects: keys made by streamSetObjectKey / compactedObjectKey
//   (the hash checks) under the cluster's key prefix; anything else in a shared bucket is
//   left alone;
// - only old ones: written at least orphanAgeMs ago, both by the time in the key (the
//   writer's clock) and by the store's own lastModified, each against the controller's
//   clock;
// - never one that could still be committed: the controller refuses commits (uploads and
//   merges) of objects written more than orphanAgeMs / 2 ago. An object old enough to be
//   swept was, at the sweep, already too old to commit, and stays so.
// The listing is paginated and bounded per run; the next run resumes where this one
// stopped, and starts over after the end.

import type { ObjectInfo, ObjectStore } from '@stratus/objectstore';
import { parseObjectKey } from '@stratus/partition-index';
import type { ResolvedOrphanSweepOptions } from '../config/gc-options.ts';

export interface OrphanSweepDeps {
  readonly store: ObjectStore;
  readonly keyPrefix: string;
  readonly options: ResolvedOrphanSweepOptions;
  /** Whether the index knows the key (live or scheduled for deletion), as decided so far. */
  readonly known: (objectKey: string) => boolean;
  /** Bounded lists per deleteMany call. */
  readonly chunk: <T>(items: readonly T[]) => T[][];
}

export interface OrphanSweepSummary {
  /** Objects listed in this run. */
  readonly listed: number;
  /** Orphans deleted. */
  readonly orphansDeleted: number;
  /** Unknown objects of this cluster too young to judge (left for a later run). */
  readonly youngUnknown: number;
  /** Objects that are not this cluster's (other prefixes, other names): never touched. */
  readonly foreign: number;
  /** Whether the listing reached the end (the next run starts over). */
  readonly completedListing: boolean;
}

export interface OrphanSweepStats {
  runs: number;
  listed: number;
  orphansDeleted: number;
  orphanBytesDeleted: number;
}

export class OrphanSweeper {
  private readonly deps: OrphanSweepDeps;
  /** Where the listing resumes (undefined: from the start). */
  private cursor: string | undefined;
  readonly stats: OrphanSweepStats = { runs: 0, listed: 0, orphansDeleted: 0, orphanBytesDeleted: 0 };

  constructor(deps: OrphanSweepDeps) {
    this.deps = deps;
  }

  /** One bounded pass at `nowMs` (the controller's clock). Rejects when the store fails; the next run resumes. */
  async sweep(nowMs: number): Promise<OrphanSweepSummary> {
    const { store, options } = this.deps;
    const cutoff = nowMs - options.orphanAgeMs;
    let listed = 0;
    let youngUnknown = 0;
    let foreign = 0;
    const orphans: ObjectInfo[] = [];
    let completedListing = false;
    while (listed < options.maxListedPerRun) {
      const page = await store.list('', { limit: Math.min(1000, options.maxListedPerRun - listed), ...(this.cursor !== undefined ? { cursor: this.cursor } : {}) });
      listed += page.objects.length;
      for (const o of page.objects) {
        const parsed = parseObjectKey(o.key);
        if (parsed === undefined || parsed.prefix !== this.deps.keyPrefix) foreign++;
        else if (this.deps.known(o.key)) continue;
        else if (parsed.writtenAtMs <= cutoff && (o.lastModifiedMs === undefined || o.lastModifiedMs <= cutoff)) orphans.push(o);
        else youngUnknown++;
      }
      this.cursor = page.cursor;
      if (page.cursor === undefined) {
        completedListing = true;
        break;
      }
    }
    let orphansDeleted = 0;
    for (const part of this.deps.chunk(orphans)) {
      // Asked again right before deleting: a key the index learnt meanwhile is kept
      // (it cannot be one of these old ones — such commits are refused — but cheaply sure).
      const doomed = part.filter((o) => !this.deps.known(o.key));
      await store.deleteMany(doomed.map((o) => o.key));
      orphansDeleted += doomed.length;
      this.stats.orphansDeleted += doomed.length;
      for (const o of doomed) this.stats.orphanBytesDeleted += o.size;
    }
    this.stats.runs++;
    this.stats.listed += listed;
    return { listed, orphansDeleted, youngUnknown, foreign, completedListing };
  }
}
