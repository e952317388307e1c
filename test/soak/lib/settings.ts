// The `stratus dev` settings and the workload sizes of a soak. Everything that limits
// growth runs on a scale of seconds to minutes here, so a 30-minute run goes through it
// many times: retention every 5 s on topics that keep 2 minutes, unreferenced objects
// deleted 15 s later, offsets of empty groups expiring after 1 minute (the least Kafka
// allows), compaction every 10 s of extents older than 10 s, objects of at most 256 KiB,
// 4 MiB WAL segments (so the WAL trims as it goes), and caches small enough to fill
// during the warm-up.

const KiB = 1024;
const MiB = 1024 * KiB;

export const SOAK_WAL_SEGMENT_BYTES = 4 * MiB;
/** The controller's snapshot threshold (ControllerOptions.snapshotJournalBytes' default; not a stratus dev setting). */
export const SNAPSHOT_JOURNAL_BYTES = 16 * MiB;

export const SOAK_ENV: Readonly<Record<string, string>> = {
  STRATUS_LOG_LEVEL: 'warn',
  STRATUS_RETENTION_CHECK_INTERVAL: '5s',
  STRATUS_RETENTION_DELETE_GRACE: '15s',
  STRATUS_RETENTION_ORPHAN_AGE: '10m',
  STRATUS_GROUPS_OFFSETS_RETENTION: '1m',
  STRATUS_UPLOAD_MAX_BYTES: String(256 * KiB),
  STRATUS_WAL_SEGMENT_BYTES: String(SOAK_WAL_SEGMENT_BYTES),
  STRATUS_CACHE_MEMORY_BYTES: String(32 * MiB),
  STRATUS_STORAGE_TAIL_BYTES: String(16 * MiB),
  STRATUS_COMPACTION_ENABLED: 'true',
  STRATUS_COMPACTION_INTERVAL: '10s',
  STRATUS_COMPACTION_MIN_AGE: '10s',
  STRATUS_COMPACTION_TARGET_OBJECT_BYTES: String(4 * MiB),
  STRATUS_COMPACTION_MAX_EXTENT_BYTES: String(MiB),
  STRATUS_COMPACTION_SMALL_EXTENT_BYTES: String(256 * KiB),
  STRATUS_COMPACTION_MAX_BYTES_PER_RUN: String(16 * MiB),
};

/** Topic configs of the long-lived topics: 2 minutes of data, merged extents spanning at most 30 s. */
export const STEADY_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'retention.ms': '120000',
  'segment.ms': '30000',
};

export interface SoakProfile {
  readonly steadyTopics: number;
  readonly partitions: number;
  readonly recordsPerSecond: number;
  readonly valueBytes: number;
  readonly membersPerGroup: number;
  readonly churnEveryMs: number;
  readonly cycleEveryMs: number;
  readonly cycleRecords: number;
  readonly ephemeralEveryMs: number;
  readonly ephemeralReadMs: number;
  readonly sampleEveryMs: number;
}

/** `npm run soak`: ~330 KB/s into 3 topics of 4 partitions, a churn every 20 s, a topic cycle every 15 s, a new group every 20 s. */
export const FULL_PROFILE: SoakProfile = {
  steadyTopics: 3,
  partitions: 4,
  recordsPerSecond: 200,
  valueBytes: 512,
  membersPerGroup: 2,
  churnEveryMs: 20_000,
  cycleEveryMs: 15_000,
  cycleRecords: 200,
  ephemeralEveryMs: 20_000,
  ephemeralReadMs: 3000,
  // Not a divisor or multiple of the 5 s retention check or the 10 s compaction interval:
  // what an index holds swings by one compaction interval of uploads (the extents younger
  // than minAge + the time since the last run), and sampling in step with the runs saw one
  // point of that swing, drifting slowly — a 17-minute beat that read as growth (the
  // 0638Z and 0744Z runs). At 7 s, every third of a run averages over all phases.
  sampleEveryMs: 7_000,
};

/** The minute inside `npm test`: the same workload, lighter and faster, sampled more often. */
export const SHORT_PROFILE: SoakProfile = {
  steadyTopics: 2,
  partitions: 2,
  recordsPerSecond: 100,
  valueBytes: 512,
  membersPerGroup: 2,
  churnEveryMs: 8000,
  cycleEveryMs: 5000,
  cycleRecords: 100,
  ephemeralEveryMs: 8000,
  ephemeralReadMs: 2000,
  sampleEveryMs: 3000,
};
