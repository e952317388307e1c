// The write-ahead log contract. The implementation (segmented files, group commit,
// recovery) lives beside this file; callers depend only on these types.
//
// Contract:
// - `append` assigns each record the next sequence number (contiguous, starting where
//   recovery left off). Appends complete in sequence order, and a resolved append is
//   durable: its bytes and every earlier record's are written and fdatasync'ed.
// - A failed write or fsync fails the log: that append and every later one reject with
//   WalIoError, and nothing is retried on the same file (a failed fsync may have
//   dropped dirty pages). The process must reopen the log, which recovers the durable
//   prefix.
// - `trim(upTo)` is exclusive: records with seq < upTo are no longer needed. Whole
//   segments below `upTo` are deleted; the un-trimmed byte count drops accordingly.
// - Capacity: when un-trimmed bytes exceed `capacityBytes` (the object store is down and
//   nothing is uploaded), appends wait up to `appendWaitMs` for a trim, then reject with
//   WalFullError (retriable). The log never fills the disk silently.
// - A full disk (ENOSPC on a write or a new segment) is not a failure: the appends not
//   yet durable reject with 'no_space', the sequence rewinds to the durable end, and the
//   log refuses appends until resume() — so no record is ever written after a hole.

export interface WalRecord {
  readonly seq: number;
  readonly data: Buffer;
}

export interface WalStats {
  /** Lowest sequence number still held (not trimmed). */
  readonly firstSeq: number;
  /** Sequence number the next append will get. */
  readonly nextSeq: number;
  /** Bytes on disk not yet trimmed (whole segments count). */
  readonly untrimmedBytes: number;
  readonly segments: number;
  /** Appends queued for the next group commit, and their framed bytes (the write backlog). */
  readonly queuedAppends?: number;
  readonly queuedBytes?: number;
  /** Appends waiting for room in capacityBytes (the WAL is full until uploads let it trim). */
  readonly waitingAppends?: number;
}

export interface WriteAheadLog {
  /** Largest record `append` takes (payload bytes, all chunks together). */
  readonly maxRecordBytes: number;
  /**
   * Appends one record (given as one or more chunks); resolves with its sequence number once durable.
   * The chunks are written as given, without a copy: do not modify them until the promise
   * settles. A record larger than maxRecordBytes rejects with RangeError (a caller bug,
   * no sequence number used). A rejected append may still turn up in a later replay (its
   * bytes may have reached the disk); only resolved ones are guaranteed to.
   */
  append(data: Buffer | readonly Buffer[]): Promise<number>;
  /**
   * The records with seq >= fromSeq still held, in order. Meant for recovery, before appends start.
   * Reads only records already durable when called, segment by segment with bounded
   * memory. A record that no longer verifies throws WalError 'corrupt'; a failed read 'io'.
   */
  replay(fromSeq?: number): AsyncIterable<WalRecord>;
  /**
   * Releases every record with seq < upTo (exclusive bound).
   * Persisted (a small checkpoint file) before it resolves, so a restart does not replay
   * released records. upTo beyond nextSeq rejects with RangeError. A failed trim rejects
   * with WalError 'io' but leaves the log usable.
   */
  trim(upTo: number): Promise<void>;
  stats(): WalStats;
  /**
   * After the disk filled up (appends reject with WalError 'no_space' until then): take
   * appends again. The log is paused, not failed: nothing durable was lost, and the next
   * append continues the sequence where the durable records end.
   */
  resume(): void;
  /** Waits for in-flight appends, then closes files. Later appends reject with WalClosedError. */
  close(): Promise<void>;
}

/**
 * - 'no_space': the disk is full. The write that hit it and every queued append were
 *   rejected, the file was cut back to its durable end and the sequence rewound there;
 *   appends keep being refused until resume() (retriable; the log is not failed).
 * - 'corrupt' when opening: recovery found damage (a bad record with intact ones after it)
 *   and changed nothing (WalCorruptionError names the file and position).
 * - 'io': a write, fsync, read or directory operation failed (the WalIoError above); after
 *   a failed append the log stays failed until reopened.
 * - 'full': the capacity budget stayed used up for appendWaitMs (WalFullError); retriable.
 * - 'closed': the log was closed (WalClosedError).
 * - 'corrupt': replay read a record that no longer verifies (a bad sector after recovery).
 */
export type WalErrorCode = 'io' | 'full' | 'closed' | 'corrupt' | 'no_space';

export class WalError extends Error {
  readonly code: WalErrorCode;
  readonly retriable: boolean;

  constructor(code: WalErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'WalError';
    this.code = code;
    this.retriable = code === 'full' || code === 'no_space';
  }
}

/** What recovery found when the log was opened. */
export interface RecoveryReport {
  /** Segments held after recovery, including the fresh active one. */
  readonly segments: number;
  /** Records held: nextSeq − firstSeq. */
  readonly records: number;
  readonly firstSeq: number;
  readonly nextSeq: number;
  /** Bytes cut from the tail because they were torn or failed their checksum (whole segments deleted after a gap included). */
  readonly truncatedBytes: number;
  /** Human-readable notes: which file was cut where and why. */
  readonly notes: readonly string[];
  /**
   * Only when damage was found and `onDamage: 'truncate'` was chosen: where the data after
   * it was moved, and the seqs of the intact records known to be in it.
   */
  readonly quarantine?: { readonly dir: string; readonly fromSeq: number; readonly toSeq: number };
}
