// Options of openWal, their defaults and their validation. Every limit has a bound and
// every error names the option, so a bad broker config fails at start with a message
// that says what to fix.

import { systemClock } from '@stratus/runtime';
import type { Clock } from '@stratus/runtime';
import type { FileSystem } from './fs.ts';
import { nodeFileSystem } from './node-fs.ts';
import type { WalError } from './wal.ts';
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './segment-format.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

export interface WalOptions {
  /** Directory holding the segments; created when missing. One process at a time. */
  readonly dir: string;
  readonly fs?: FileSystem;
  readonly clock?: Clock;
  /** A segment is rolled before it would exceed this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Most bytes written by one writev + fdatasync (a single larger record still goes alone). Default 4 MiB. */
  readonly flushMaxBytes?: number;
  /**
   * How long the writer may wait to gather more appends before a flush, measured from
   * the oldest waiting append. 0 (default): flush as soon as the previous fdatasync
   * returns; appends arriving during an fdatasync still share the next one.
   */
  readonly flushMaxDelayMs?: number;
  /**
   * true (default): an append resolves only after its batch's fdatasync — it survives a
   * machine crash or power loss. false: it resolves once written to the OS (one writev,
   * no fdatasync, as Kafka acknowledges by default): it survives the process being
   * killed but not the machine going down; segments are still fdatasync'ed when rolled
   * and on close.
   */
  readonly syncWrites?: boolean;
  /** Budget for un-trimmed segment bytes plus queued appends. Default 1 GiB; at least 2 × segmentBytes. */
  readonly capacityBytes?: number;
  /** Told about every flush (for metrics); must be cheap and must not throw. */
  readonly onFlush?: (flush: WalFlush) => void;
  /** How long an append waits for a trim when the budget is used up before rejecting with 'full'. Default 5000. */
  readonly appendWaitMs?: number;
  /** Largest record payload. Default 16 MiB (or less, to fit a segment); at most segmentBytes − 44. */
  readonly maxRecordBytes?: number;
  /**
   * What opening does about damage — a bad record with intact records after it, which a
   * crash cannot cause (see recovery.ts): 'refuse' (default) fails with
   * WalCorruptionError and changes nothing; 'truncate' cuts the log there and moves the
   * rest to quarantine/ (an operator's decision: --recover=truncate).
   */
  readonly onDamage?: 'refuse' | 'truncate';
  /** The disk filled up and the log paused (see WriteAheadLog.resume); for the owner to react. */
  readonly onNoSpace?: (error: WalError) => void;
}

/** One group commit: how many appends and bytes, and how long its writev and fdatasync took. */
export interface WalFlush {
  readonly appends: number;
  readonly bytes: number;
  readonly writeMs: number;
  /** 0 when syncWrites is off. */
  readonly syncMs: number;
  /**
   * From the oldest append of this group commit being queued to the group being durable
   * (queueing, gathering, writev, fdatasync): the longest any of its appends waited, so an
   * upper bound for each of them. One clock read per append pays for it, only with onFlush.
   */
  readonly oldestAppendMs: number;
}

export interface ResolvedWalOptions {
  readonly dir: string;
  readonly fs: FileSystem;
  readonly clock: Clock;
  readonly segmentBytes: number;
  readonly flushMaxBytes: number;
  readonly flushMaxDelayMs: number;
  readonly syncWrites: boolean;
  readonly onFlush: ((flush: WalFlush) => void) | undefined;
  readonly capacityBytes: number;
  readonly appendWaitMs: number;
  readonly maxRecordBytes: number;
  readonly onDamage: 'refuse' | 'truncate';
  readonly onNoSpace: ((error: WalError) => void) | undefined;
}

export const WAL_DEFAULTS = {
  segmentBytes: 64 * MiB,
  // Tuned with bench/wal.bench.ts (ext4 on a Firecracker virtio disk, 2 vCPU, Node 24):
  // 1 MiB lets only one 1 MiB record into each fdatasync (the 16-byte frame header does
  // not fit) and cost 15–25% at 8–64 × 1 MiB; 16 MiB measured within noise of 4 MiB
  // while an append behind a full batch waits for all of it to reach the disk. 4 MiB
  // holds 64 × 16 KiB (one round of appenders) or three 1 MiB records per flush.
  flushMaxBytes: 4 * MiB,
  // 0: appends that arrive during an fdatasync already share the next one. Waiting 1 ms
  // halved throughput at 64 × 16 KiB (closed-loop appenders cannot send more while they
  // wait) and gained nothing at larger sizes.
  flushMaxDelayMs: 0,
  syncWrites: true,
  capacityBytes: 1 * GiB,
  appendWaitMs: 5000,
  maxRecordBytes: 16 * MiB,
} as const;

/** Smallest segment accepted: room for the header and a few small records (tests use tiny segments). */
export const MIN_SEGMENT_BYTES = 256;
export const MAX_SEGMENT_BYTES = 1 * GiB;
const MAX_FLUSH_DELAY_MS = 10_000;
const MAX_APPEND_WAIT_MS = 3_600_000;
const MAX_CAPACITY_BYTES = 2 ** 50;

export function resolveWalOptions(options: WalOptions): ResolvedWalOptions {
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError('openWal: option dir must be a non-empty path');
  const segmentBytes = integer('segmentBytes', options.segmentBytes ?? WAL_DEFAULTS.segmentBytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
  const recordRoom = segmentBytes - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES;
  const maxRecordBytes =
    options.maxRecordBytes === undefined
      ? Math.min(WAL_DEFAULTS.maxRecordBytes, recordRoom)
      : integer('maxRecordBytes', options.maxRecordBytes, 1, recordRoom, `one record must fit a segment: at most segmentBytes − ${SEGMENT_HEADER_BYTES + FRAME_HEADER_BYTES}`);
  const flushMaxBytes = integer('flushMaxBytes', options.flushMaxBytes ?? WAL_DEFAULTS.flushMaxBytes, 1, MAX_SEGMENT_BYTES);
  const flushMaxDelayMs = number('flushMaxDelayMs', options.flushMaxDelayMs ?? WAL_DEFAULTS.flushMaxDelayMs, 0, MAX_FLUSH_DELAY_MS);
  const syncWrites = options.syncWrites ?? WAL_DEFAULTS.syncWrites;
  if (typeof syncWrites !== 'boolean') throw new TypeError(`openWal: option syncWrites must be true or false, got ${String(syncWrites)}`);
  const capacityBytes =
    options.capacityBytes === undefined
      ? Math.max(WAL_DEFAULTS.capacityBytes, 2 * segmentBytes)
      : integer('capacityBytes', options.capacityBytes, 2 * segmentBytes, MAX_CAPACITY_BYTES, 'at least 2 × segmentBytes: the active segment counts until it rolls');
  if (options.onDamage !== undefined && options.onDamage !== 'refuse' && options.onDamage !== 'truncate') {
    throw new TypeError(`openWal: option onDamage must be 'refuse' or 'truncate', got ${String(options.onDamage)}`);
  }
  const appendWaitMs = number('appendWaitMs', options.appendWaitMs ?? WAL_DEFAULTS.appendWaitMs, 0, MAX_APPEND_WAIT_MS);
  return {
    dir: options.dir,
    fs: options.fs ?? nodeFileSystem,
    clock: options.clock ?? systemClock,
    segmentBytes,
    flushMaxBytes,
    flushMaxDelayMs,
    syncWrites,
    onFlush: options.onFlush,
    capacityBytes,
    appendWaitMs,
    maxRecordBytes,
    onDamage: options.onDamage ?? 'refuse',
    onNoSpace: options.onNoSpace,
  };
}

function integer(name: string, value: unknown, min: number, max: number, why?: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`openWal: option ${name} must be an integer from ${min} to ${max}${why ? ` (${why})` : ''}, got ${String(value)}`);
  }
  return value;
}

function number(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`openWal: option ${name} must be a number from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
