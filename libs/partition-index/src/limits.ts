// The largest record batch a broker's storage can take, derived in one place from the
// limits of the pieces it passes through: the WAL record (the batch plus its entry
// header must fit), the budget of un-uploaded bytes (a batch larger than the whole budget
// could never be admitted) and the stream-set format (an extent's length is a u32).
// The broker refuses larger batches at the edge (MESSAGE_TOO_LARGE) and the controller
// refuses max.message.bytes / message.max.bytes above it (INVALID_CONFIG): both sides
// need the rule and its default, so it lives here and not in the storage engine.

import { WAL_DEFAULTS } from '@stratus/wal';

/**
 * Bytes the broker's WAL entry puts before each batch (its layout is in @stratus/storage,
 * log/wal-entry.ts). The number is here because the batch limit is made of it.
 */
export const WAL_ENTRY_HEADER_BYTES = 26;

/** An extent's length is a u32 in the stream-set index. */
const STREAM_SET_MAX_EXTENT_BYTES = 2 ** 32 - 1;

/** Default of StorageEngineOptions.pendingBytes. */
export const DEFAULT_PENDING_BYTES = 256 * 1024 * 1024;

export interface BatchLimitInputs {
  /** The WAL's maxRecordBytes. */
  readonly walMaxRecordBytes: number;
  /** The engine's budget of appended, not yet uploaded bytes. */
  readonly pendingBytes: number;
}

/** Largest batch (bytes of one RecordBatch) the storage engine accepts. */
export function maxBatchBytes(o: BatchLimitInputs): number {
  return Math.min(o.walMaxRecordBytes - WAL_ENTRY_HEADER_BYTES, o.pendingBytes - WAL_ENTRY_HEADER_BYTES, STREAM_SET_MAX_EXTENT_BYTES);
}

/** The limit with the WAL's and the engine's default settings. */
export const DEFAULT_MAX_BATCH_BYTES = maxBatchBytes({ walMaxRecordBytes: WAL_DEFAULTS.maxRecordBytes, pendingBytes: DEFAULT_PENDING_BYTES });

/** A batch larger than maxBatchBytes: refused before anything is assigned; the client gets MESSAGE_TOO_LARGE. */
export class BatchTooLargeError extends Error {
  readonly batchBytes: number;
  readonly limitBytes: number;
  constructor(batchBytes: number, limitBytes: number) {
    super(`a record batch of ${batchBytes} bytes exceeds the largest this broker's storage holds (${limitBytes} bytes)`);
    this.name = 'BatchTooLargeError';
    this.batchBytes = batchBytes;
    this.limitBytes = limitBytes;
  }
}
