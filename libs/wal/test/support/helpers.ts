// Shared helpers of the WAL tests: deterministic payloads, collecting a replay, and
// opening a log on a MemoryFileSystem with small segments.

import { ManualClock } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import type { RecoveryReport, WalOptions, WalRecord, WriteAheadLog } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';

export const DIR = '/data/wal';

/** A payload whose bytes depend on `id` and `sizeBytes`, so any mix-up shows. */
export function payload(id: number, sizeBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(sizeBytes);
  let x = (id * 2654435761 + sizeBytes) >>> 0;
  for (let i = 0; i < sizeBytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  return buf;
}

export async function collect(records: AsyncIterable<WalRecord>): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

export interface Opened {
  readonly wal: WriteAheadLog;
  readonly recovery: RecoveryReport;
  readonly fs: MemoryFileSystem;
}

export async function openMemoryWal(fs = new MemoryFileSystem(), options: Partial<WalOptions> = {}): Promise<Opened> {
  const { wal, recovery } = await openWal({ dir: DIR, fs, segmentBytes: 4096, clock: new ManualClock(), ...options });
  return { wal, recovery, fs };
}

/** Settles a promise without throwing, to inspect it later. */
export function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Lets queued setImmediate work (the memory fs schedules every call on one) run `turns` times. */
export async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
