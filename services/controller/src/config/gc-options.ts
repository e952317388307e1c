// Options of object compaction and of the orphan sweep, their defaults and validation
// (the rest of the controller's options are in options.ts). Every limit has a default
// and a bound, and an error names the option.

const MiB = 1024 * 1024;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface CompactionOptions {
  /** Whether start() runs compaction. Default true. */
  readonly enabled?: boolean;
  /** Pause between runs once a run found nothing left to do (with work left, the next starts at once, paced by bytesPerSecond). Default 60,000. */
  readonly intervalMs?: number;
  /** Merges are packed into objects of up to this many bytes. Default 64 MiB. */
  readonly targetObjectBytes?: number;
  /**
   * Largest merged extent (a topic's segment.bytes may lower it). Default 8 MiB, what one
   * upload can already make: a fetch reads a whole extent through the block cache (there
   * is no offset index inside an extent), so a longer one would cost every fetch more.
   * At most targetObjectBytes.
   */
  readonly maxExtentBytes?: number;
  /** Extents at least this long are left as they are. Default half of maxExtentBytes; at most maxExtentBytes. */
  readonly smallExtentBytes?: number;
  /** Extents committed less than this long ago are left alone (tailing readers hold them in their caches). Default 60,000. */
  readonly minAgeMs?: number;
  /** Source bytes one run merges; held in memory while it runs. Default 128 MiB; at least targetObjectBytes. */
  readonly maxBytesPerRun?: number;
  /** Merges (new objects) one run makes. Default 1,000. */
  readonly maxMergesPerRun?: number;
  /** Extents one merge replaces. Default 1,000. */
  readonly maxExtentsPerMerge?: number;
  /** Bytes read plus written per second, at most. Default 32 MiB. */
  readonly bytesPerSecond?: number;
  /** Failed attempts of one merge (object store errors) before its extents are set aside. Default 3. */
  readonly maxAttempts?: number;
  /** How long a merge that kept failing is set aside before it is tried again. Default 3,600,000. */
  readonly setAsideMs?: number;
  /** GETs, and merges being written, at a time. Default 4. */
  readonly concurrency?: number;
}

export interface OrphanSweepOptions {
  /** Whether the retention timer also sweeps orphans. Default true. */
  readonly enabled?: boolean;
  /**
   * An object the index does not know is deleted once this old, by the time in its key
   * and by the store's write time. Commits of objects written more than half of it ago
   * are refused (the uploader writes them again), so the sweep never deletes an object
   * that could still be committed. Default 3,600,000 (an hour).
   */
  readonly orphanAgeMs?: number;
  /** Objects listed per run; the listing resumes there on the next run. Default 10,000. */
  readonly maxListedPerRun?: number;
}

export type ResolvedCompactionOptions = Required<CompactionOptions>;
export type ResolvedOrphanSweepOptions = Required<OrphanSweepOptions>;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`Controller option ${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

function flag(name: string, value: boolean | undefined, fallback: boolean): boolean {
  const v = value ?? fallback;
  if (typeof v !== 'boolean') throw new TypeError(`Controller option ${name} must be true or false, got ${String(v)}`);
  return v;
}

export function resolveCompactionOptions(o: CompactionOptions = {}): ResolvedCompactionOptions {
  // An extent's length is a u32 in the stream-set index.
  const targetObjectBytes = integer('compaction.targetObjectBytes', o.targetObjectBytes, 64 * MiB, 1024, 2 ** 40);
  const maxExtentBytes = integer('compaction.maxExtentBytes', o.maxExtentBytes, Math.min(8 * MiB, targetObjectBytes), 1024, Math.min(targetObjectBytes, 2 ** 32 - 1));
  return {
    enabled: flag('compaction.enabled', o.enabled, true),
    intervalMs: integer('compaction.intervalMs', o.intervalMs, MINUTE_MS, 1, DAY_MS),
    targetObjectBytes,
    maxExtentBytes,
    smallExtentBytes: integer('compaction.smallExtentBytes', o.smallExtentBytes, Math.floor(maxExtentBytes / 2), 1, maxExtentBytes),
    minAgeMs: integer('compaction.minAgeMs', o.minAgeMs, MINUTE_MS, 0, 30 * DAY_MS),
    maxBytesPerRun: integer('compaction.maxBytesPerRun', o.maxBytesPerRun, Math.max(128 * MiB, targetObjectBytes), targetObjectBytes, 2 ** 40),
    maxMergesPerRun: integer('compaction.maxMergesPerRun', o.maxMergesPerRun, 1000, 1, 1_000_000),
    maxExtentsPerMerge: integer('compaction.maxExtentsPerMerge', o.maxExtentsPerMerge, 1000, 2, 100_000),
    bytesPerSecond: integer('compaction.bytesPerSecond', o.bytesPerSecond, 32 * MiB, 1024, 2 ** 40),
    maxAttempts: integer('compaction.maxAttempts', o.maxAttempts, 3, 1, 100),
    setAsideMs: integer('compaction.setAsideMs', o.setAsideMs, 60 * MINUTE_MS, 0, 30 * DAY_MS),
    concurrency: integer('compaction.concurrency', o.concurrency, 4, 1, 64),
  };
}

export function resolveOrphanSweepOptions(o: OrphanSweepOptions = {}): ResolvedOrphanSweepOptions {
  return {
    enabled: flag('orphanSweep.enabled', o.enabled, true),
    // At least ten minutes: half of it is the window a written object has to be committed.
    orphanAgeMs: integer('orphanSweep.orphanAgeMs', o.orphanAgeMs, 60 * MINUTE_MS, 10 * MINUTE_MS, 30 * DAY_MS),
    maxListedPerRun: integer('orphanSweep.maxListedPerRun', o.maxListedPerRun, 10_000, 1, 10_000_000),
  };
}

/** Commits of objects whose keys say they were written longer ago than this are refused (undefined: no limit, the sweep is off). */
export function commitMaxAgeMs(o: ResolvedOrphanSweepOptions): number | undefined {
  return o.enabled ? Math.floor(o.orphanAgeMs / 2) : undefined;
}
