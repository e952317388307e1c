// Looks past a bad spot in a segment: are there intact records after it? Recovery needs
// to know, because a bad record followed by intact ones that continue the log is not a
// torn tail — it is damage inside data that may have been acknowledged, and cutting
// there would silently drop everything after it.
//
// The bad record's own length field cannot be trusted, so candidates are found by
// sliding over the bytes after it: a position whose frame header names a plausible
// sequence number (after the expected one, and no more records than the bytes could
// hold) is checked in full (length, CRC-32C), then followed record by record to see how
// far the intact run reaches. Only recovery of a damaged log pays for this.

import type { FileHandle } from './fs.ts';
import { FRAME_HEADER_BYTES, decodeFrameHeader } from './segment-format.ts';
import { SegmentReader, readFully } from './segment-reader.ts';

const SCAN_WINDOW_BYTES = 1024 * 1024;

export interface IntactRun {
  /** Where the first intact record after the bad spot starts, and its seq. */
  readonly positionBytes: number;
  readonly firstSeq: number;
  /** The run's end: the seq after its last record and the byte after it. */
  readonly endSeq: number;
  readonly endBytes: number;
}

/**
 * The first run of intact, consecutive records after `badPositionBytes` whose seqs come
 * after `expectedSeq`, or undefined when the rest of the file holds none.
 */
export async function findIntactRun(
  file: FileHandle,
  fileBytes: number,
  badPositionBytes: number,
  expectedSeq: number,
  options: { readonly anyDistance?: boolean } = {},
): Promise<IntactRun | undefined> {
  const window = Buffer.allocUnsafe(SCAN_WINDOW_BYTES + FRAME_HEADER_BYTES);
  for (let start = badPositionBytes + 1; start + FRAME_HEADER_BYTES <= fileBytes; start += SCAN_WINDOW_BYTES) {
    const got = await readFully(file, window, 0, Math.min(window.length, fileBytes - start), start);
    for (let i = 0; i + FRAME_HEADER_BYTES <= got && i < SCAN_WINDOW_BYTES; i++) {
      const pos = start + i;
      const h = decodeFrameHeader(window, i);
      if (h.seq === undefined || h.seq <= expectedSeq) continue;
      const left = fileBytes - pos;
      // At most one record per frame header's worth of bytes could lie between.
      if (!options.anyDistance && h.seq - expectedSeq > Math.ceil((pos - badPositionBytes) / FRAME_HEADER_BYTES) + 1) continue;
      if (h.payloadBytes > left - FRAME_HEADER_BYTES) continue;
      const run = await followRun(file, fileBytes, pos, h.seq);
      if (run !== undefined) return run;
    }
  }
  return undefined;
}

/** Reads consecutive valid records from `positionBytes` (whose record should have `seq`). */
async function followRun(file: FileHandle, fileBytes: number, positionBytes: number, seq: number): Promise<IntactRun | undefined> {
  const reader = new SegmentReader(file, fileBytes);
  reader.positionBytes = positionBytes;
  let next = seq;
  let endBytes = positionBytes;
  for (;;) {
    const r = await reader.next(false);
    if (r.kind !== 'record' || r.seq !== next) break;
    next++;
    endBytes = reader.positionBytes;
  }
  return next === seq ? undefined : { positionBytes, firstSeq: seq, endSeq: next, endBytes };
}

/**
 * Every intact record in a quarantined file (a segment, or the bytes after a damaged
 * spot), in file order, with its payload. Bounded memory: one record at a time.
 */
export async function* intactRecords(file: FileHandle, fileBytes: number, fromBytes: number): AsyncGenerator<{ seq: number; payload: Buffer }> {
  let pos = fromBytes - 1;
  for (;;) {
    const run = await findIntactRun(file, fileBytes, pos, -1, { anyDistance: true });
    if (run === undefined) return;
    const reader = new SegmentReader(file, fileBytes);
    reader.positionBytes = run.positionBytes;
    for (let seq = run.firstSeq; seq < run.endSeq; seq++) {
      const r = await reader.next(true);
      if (r.kind !== 'record' || r.payload === undefined) return;
      yield { seq: r.seq, payload: r.payload };
    }
    pos = run.endBytes - 1;
  }
}
