// What the soak samples, and how each series is judged. A sample is a flat record of
// numbers read from /metrics of the `stratus dev` under test and from its data directory;
// each series below names one of them.
//
// Judged series must stay flat after the warm-up: the mean of the last third of the run
// may exceed the mean of the middle third by at most max(rel × middle mean, floor). The
// floor absorbs what is noise at that scale (a few descriptors, a GC cycle's worth of
// heap, one WAL segment); rel absorbs sawtooth series (objects between uploads and
// deletions). Bounded series have a hard ceiling instead (the metadata journal, which
// grows until its next snapshot). The rest are shown for context.

const MiB = 1024 * 1024;

export type Unit = 'bytes' | 'count' | 'seconds' | 'per-second' | 'cores';

export type Rule =
  | { readonly kind: 'flat'; readonly rel: number; readonly floor: number }
  | { readonly kind: 'bounded'; readonly max: number }
  | { readonly kind: 'info' };

export interface SeriesSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: Unit;
  readonly rule: Rule;
}

/** What stays flat, with the soak's settings (settings.ts) in mind. */
export function soakSeries(o: { readonly walSegmentBytes: number; readonly snapshotJournalBytes: number }): SeriesSpec[] {
  const flat = (rel: number, floor: number): Rule => ({ kind: 'flat', rel, floor });
  const info: Rule = { kind: 'info' };
  return [
    // The process.
    { key: 'rss', label: 'resident memory (RSS)', unit: 'bytes', rule: flat(0.1, 24 * MiB) },
    // The heap used between collections is a sawtooth of 30-80 MiB whose sampled mean depends on
    // where the collector happens to be (the 0638Z run "grew" 10 MiB that way, its live heap
    // flat); what leaks shows in the heap right after a major GC, which is judged.
    { key: 'heapUsed', label: 'V8 heap used', unit: 'bytes', rule: info },
    { key: 'heapAfterGc', label: 'V8 heap used after the latest major GC (live objects)', unit: 'bytes', rule: flat(0.1, 8 * MiB) },
    { key: 'majorGcs', label: 'major GCs since start', unit: 'count', rule: info },
    { key: 'heapTotal', label: 'V8 heap size', unit: 'bytes', rule: info },
    { key: 'external', label: 'external memory (buffers: block cache, tails)', unit: 'bytes', rule: flat(0.15, 16 * MiB) },
    { key: 'openFds', label: 'open file descriptors', unit: 'count', rule: flat(0, 6) },
    { key: 'activeHandles', label: 'active libuv handles', unit: 'count', rule: flat(0, 8) },
    { key: 'eventLoopLagP99', label: 'event-loop lag p99', unit: 'seconds', rule: info },
    // The broker.
    { key: 'connections', label: 'Kafka connections open', unit: 'count', rule: flat(0, 6) },
    { key: 'coordinatorGroups', label: 'groups held by the coordinator', unit: 'count', rule: flat(0.1, 6) },
    { key: 'openPartitions', label: 'partitions open in the broker', unit: 'count', rule: flat(0, 4) },
    { key: 'storageLogs', label: 'partition logs open in the storage engine', unit: 'count', rule: flat(0, 4) },
    { key: 'pendingBytes', label: 'bytes waiting for upload', unit: 'bytes', rule: info },
    // The WAL.
    { key: 'walBytes', label: 'WAL untrimmed bytes', unit: 'bytes', rule: flat(0.1, 2 * o.walSegmentBytes) },
    { key: 'walSegments', label: 'WAL segments', unit: 'count', rule: flat(0, 2) },
    // The controller's state.
    { key: 'topics', label: 'topics', unit: 'count', rule: flat(0, 2) },
    { key: 'partitions', label: 'partitions in the index', unit: 'count', rule: flat(0, 4) },
    { key: 'extents', label: 'extents in the index', unit: 'count', rule: flat(0.2, 50) },
    { key: 'extentsMaxPerPartition', label: 'extents of the largest partition', unit: 'count', rule: flat(0.2, 10) },
    { key: 'objectsLive', label: 'objects live (extents point at them)', unit: 'count', rule: flat(0.2, 50) },
    { key: 'objectsUnreferenced', label: 'objects unreferenced (scheduled for deletion)', unit: 'count', rule: flat(0.25, 50) },
    { key: 'committedOffsets', label: 'committed offsets', unit: 'count', rule: flat(0.2, 20) },
    { key: 'controllerGroups', label: 'groups known to the controller', unit: 'count', rule: flat(0.2, 6) },
    { key: 'journalBytes', label: 'metadata journal since the last snapshot', unit: 'bytes', rule: { kind: 'bounded', max: o.snapshotJournalBytes + 4 * MiB } },
    { key: 'snapshots', label: 'controller snapshots written', unit: 'count', rule: info },
    // What is on disk (read by the driver, not the process).
    { key: 'storeObjects', label: 'objects in the object store (files)', unit: 'count', rule: flat(0.2, 50) },
    { key: 'storeBytes', label: 'bytes in the object store', unit: 'bytes', rule: flat(0.2, 16 * MiB) },
    { key: 'storeDirs', label: 'directories in the object store', unit: 'count', rule: flat(0.2, 50) },
    { key: 'metadataDirBytes', label: 'metadata directory (journal + snapshot)', unit: 'bytes', rule: { kind: 'bounded', max: o.snapshotJournalBytes + 32 * MiB } },
    { key: 'walDirBytes', label: 'WAL directory', unit: 'bytes', rule: flat(0.1, 2 * o.walSegmentBytes) },
    { key: 'rejectedBatches', label: 'batches kept in data/rejected/ (commit rejected)', unit: 'count', rule: flat(0.1, 10) },
    { key: 'rejectedBytes', label: 'bytes kept in data/rejected/', unit: 'bytes', rule: flat(0.1, MiB) },
    // Work done (rates over the sample interval), for context.
    { key: 'producedPerSec', label: 'records produced per second', unit: 'per-second', rule: info },
    { key: 'consumedPerSec', label: 'records consumed per second', unit: 'per-second', rule: info },
    { key: 'putsPerSec', label: 'object-store PUTs per second', unit: 'per-second', rule: info },
    { key: 'compactionMerges', label: 'compaction merges since start', unit: 'count', rule: info },
    { key: 'cpuCores', label: 'CPU of the process', unit: 'cores', rule: info },
    // The machine: other work on it disturbs a run.
    { key: 'loadAverage1m', label: 'machine load average (1 min)', unit: 'count', rule: info },
    { key: 'memAvailable', label: 'machine memory available', unit: 'bytes', rule: info },
  ];
}
