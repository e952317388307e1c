// Public entry of @stratus/wal/testing: test doubles for code that writes to disk.
// MemoryFileSystem models the page cache, crashes (with torn writes) and injected
// faults, deterministically from a seeded Random.

export { MemoryFileSystem } from './memory-fs.ts';
export type { CrashOptions, MemoryFileSystemOptions, MemoryFsCounters } from './memory-fs.ts';
export type { UnsyncedFate } from './disk-model.ts';
export type { FaultRule, FsOp } from './faults.ts';
