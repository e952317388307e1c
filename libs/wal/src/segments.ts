// The in-memory list of segment files the log holds, oldest first, the last one being
// the active segment appends go to; plus the two file operations on whole segments
// (create durably, delete durably). The writer only adds at the end and grows the
// active segment, trim only removes at the front, so the two never conflict.

import { join } from 'node:path';
import type { FileHandle, FileSystem } from './fs.ts';
import { SEGMENT_HEADER_BYTES, encodeSegmentHeader, segmentFileName } from './segment-format.ts';

export interface Segment {
  readonly baseSeq: number;
  readonly name: string;
  /** Bytes known durable (header + fsynced records); replay reads no further. */
  sizeBytes: number;
}

export class SegmentList {
  private readonly list: Segment[];
  private totalBytes: number;

  constructor(initial: readonly Segment[]) {
    if (initial.length === 0) throw new Error('SegmentList needs at least the active segment');
    this.list = [...initial];
    this.totalBytes = initial.reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  get count(): number {
    return this.list.length;
  }

  /** Bytes on disk not yet trimmed: every segment, whole. */
  get untrimmedBytes(): number {
    return this.totalBytes;
  }

  get firstBaseSeq(): number {
    return this.list[0]!.baseSeq;
  }

  active(): Segment {
    return this.list[this.list.length - 1]!;
  }

  /** Records durable bytes appended to the active segment. */
  grow(bytes: number): void {
    this.active().sizeBytes += bytes;
    this.totalBytes += bytes;
  }

  /** Makes a freshly created segment the active one. */
  push(segment: Segment): void {
    this.list.push(segment);
    this.totalBytes += segment.sizeBytes;
  }

  /**
   * The segments all of whose records are below `upTo`: those followed by a segment
   * starting at or below it. Never the active one.
   */
  releasable(upTo: number): Segment[] {
    const out: Segment[] = [];
    for (let i = 0; i + 1 < this.list.length && this.list[i + 1]!.baseSeq <= upTo; i++) out.push(this.list[i]!);
    return out;
  }

  holds(segment: Segment): boolean {
    return this.list.includes(segment);
  }

  /** Forgets the oldest segment (after its file was deleted). */
  dropFirst(segment: Segment): void {
    if (this.list[0] !== segment || this.list.length === 1) throw new Error(`segment ${segment.name} is not the oldest inactive segment`);
    this.list.shift();
    this.totalBytes -= segment.sizeBytes;
  }

  /** Copies of the segments with their seq ranges, for a reader that must not see later changes. */
  snapshot(nextDurableSeq: number): { readonly segment: Segment; readonly sizeBytes: number; readonly endSeq: number }[] {
    return this.list.map((segment, i) => ({
      segment,
      sizeBytes: segment.sizeBytes,
      endSeq: this.list[i + 1]?.baseSeq ?? nextDurableSeq,
    }));
  }
}

/**
 * Creates segment `<baseSeq>.wal` durably: header written and fdatasync'ed, then the
 * directory fsync'ed so the new name survives a crash. Returns the open file for appends.
 */
export async function createSegmentFile(fs: FileSystem, dir: string, baseSeq: number, nowMs: number): Promise<{ file: FileHandle; segment: Segment }> {
  const name = segmentFileName(baseSeq);
  const file = await fs.open(join(dir, name), 'create');
  try {
    const header = encodeSegmentHeader(baseSeq, nowMs);
    const written = await file.writev([header], 0);
    if (written !== header.length) throw new Error(`short write of segment header (${written} of ${header.length} bytes)`);
    await file.datasync();
    await fs.syncDir(dir);
  } catch (err) {
    await file.close().catch(() => undefined);
    // A half-written file would make the next attempt at this name fail (create is O_EXCL).
    await fs.unlink(join(dir, name)).catch(() => undefined);
    throw err;
  }
  return { file, segment: { baseSeq, name, sizeBytes: SEGMENT_HEADER_BYTES } };
}
