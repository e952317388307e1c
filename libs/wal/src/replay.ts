// Replay: the records of a snapshot of the segment list, read sequentially segment by
// segment, record by record (memory: one read window plus the record handed out).
//
// Reads stop at each segment's durable size, so replay never returns bytes that an
// in-flight batch is writing. Records were validated by recovery, so anything invalid
// now (a bad sector, a bit flip) is reported as WalError 'corrupt', never skipped.

import { join } from 'node:path';
import { errorCode } from './fs.ts';
import type { FileSystem } from './fs.ts';
import { SegmentReader } from './segment-reader.ts';
import type { Segment } from './segments.ts';
import { WalError } from './wal.ts';
import type { WalRecord } from './wal.ts';

export interface ReplaySegment {
  readonly segment: Segment;
  readonly sizeBytes: number;
  readonly endSeq: number;
}

/**
 * Yields the records with seq in [startSeq, end of snapshot). A segment deleted by a
 * concurrent trim (`isHeld` false) is skipped: its records are no longer held.
 */
export async function* replaySegments(
  fs: FileSystem,
  dir: string,
  snapshot: readonly ReplaySegment[],
  startSeq: number,
  isHeld: (segment: Segment) => boolean,
): AsyncGenerator<WalRecord> {
  for (const { segment, sizeBytes, endSeq } of snapshot) {
    if (endSeq <= startSeq) continue;
    const path = join(dir, segment.name);
    let file;
    try {
      file = await fs.open(path, 'read');
    } catch (err) {
      if (errorCode(err) === 'ENOENT' && !isHeld(segment)) continue;
      throw ioError(`opening ${segment.name}`, err);
    }
    try {
      const reader = new SegmentReader(file, sizeBytes);
      const header = await guard(segment, () => reader.readHeader());
      if (!header.ok) throw corrupt(segment, `header: ${header.reason}`);
      if (header.baseSeq !== segment.baseSeq) throw corrupt(segment, `header says base seq ${header.baseSeq}`);
      for (let seq = segment.baseSeq; seq < endSeq; seq++) {
        const wanted = seq >= startSeq;
        const r = await guard(segment, () => reader.next(wanted));
        if (r.kind === 'end') throw corrupt(segment, `ends at seq ${seq}, expected records up to ${endSeq - 1}`);
        if (r.kind === 'invalid') throw corrupt(segment, `at byte ${r.positionBytes}: ${r.reason}`);
        if (r.seq !== seq) throw corrupt(segment, `record has seq ${r.seq}, expected ${seq}`);
        if (wanted) yield { seq, data: r.payload! };
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }
}

async function guard<T>(segment: Segment, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw ioError(`reading ${segment.name}`, err);
  }
}

function ioError(what: string, cause: unknown): WalError {
  return new WalError('io', `WAL replay failed ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
}

function corrupt(segment: Segment, detail: string): WalError {
  return new WalError('corrupt', `WAL segment ${segment.name} is corrupt: ${detail}`);
}
