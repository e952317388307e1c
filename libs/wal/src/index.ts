// Public entry of @stratus/wal: the WriteAheadLog contract, openWal (the segmented
// implementation) and the injected file-system interface. Fault-injecting test doubles
// are in @stratus/wal/testing.

export { WalError } from './wal.ts';
export type { RecoveryReport, WalErrorCode, WalRecord, WalStats, WriteAheadLog } from './wal.ts';
export { openWal } from './segmented-wal.ts';
export { readQuarantine, WalCorruptionError } from './recovery.ts';
export { WAL_DEFAULTS } from './options.ts';
export type { WalFlush, WalOptions } from './options.ts';
export { errorCode } from './fs.ts';
export type { FileHandle, FileSystem, OpenMode } from './fs.ts';
export { nodeFileSystem } from './node-fs.ts';
