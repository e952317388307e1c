// Builds a stream-set object from partition data. The object body is a list of chunks
// (header, the batches themselves, index, footer) so a PUT can send the batches without
// copying them into one buffer.

import { crc32c } from '@stratus/protocol';
import type { Extent } from '@stratus/partition-index';
import { FOOTER_BYTES, HEADER_BYTES, INDEX_ENTRY_BYTES, STREAM_SET_MAGIC, STREAM_SET_VERSION } from './format.ts';

export interface StreamSetBatch {
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly baseOffset: number;
  /** Inclusive. */
  readonly lastOffset: number;
  readonly maxTimestamp: number;
  readonly bytes: Buffer;
}

export interface BuiltStreamSet {
  readonly body: readonly Buffer[];
  readonly size: number;
  /** Extents without the object key (the caller names the object). */
  readonly extents: readonly Omit<Extent, 'objectKey' | 'objectSize'>[];
}

/**
 * Groups batches by partition (keeping each partition's order) and lays them out.
 * A partition's batches form one run while their offsets are contiguous and their
 * leader epoch is the same; otherwise a new run (a new extent) starts.
 */
export function buildStreamSet(batches: readonly StreamSetBatch[]): BuiltStreamSet {
  const byPartition = new Map<string, StreamSetBatch[]>();
  for (const b of batches) {
    const key = `${b.topicId}:${b.partition}`;
    let list = byPartition.get(key);
    if (list === undefined) byPartition.set(key, (list = []));
    list.push(b);
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(STREAM_SET_MAGIC, 0);
  header.writeUInt16BE(STREAM_SET_VERSION, 4);

  const body: Buffer[] = [header];
  const extents: Omit<Extent, 'objectKey' | 'objectSize'>[] = [];
  let position = HEADER_BYTES;
  const keys = [...byPartition.keys()].sort();
  for (const key of keys) {
    let run: { first: StreamSetBatch; last: StreamSetBatch; position: number; length: number; maxTimestamp: number } | undefined;
    const flush = (): void => {
      if (run === undefined) return;
      extents.push({
        topicId: run.first.topicId,
        partition: run.first.partition,
        leaderEpoch: run.first.leaderEpoch,
        baseOffset: run.first.baseOffset,
        lastOffset: run.last.lastOffset,
        position: run.position,
        length: run.length,
        maxTimestamp: run.maxTimestamp,
      });
      run = undefined;
    };
    for (const b of byPartition.get(key)!) {
      if (run !== undefined && (b.baseOffset !== run.last.lastOffset + 1 || b.leaderEpoch !== run.first.leaderEpoch)) flush();
      if (run === undefined) run = { first: b, last: b, position, length: 0, maxTimestamp: b.maxTimestamp };
      run.last = b;
      run.length += b.bytes.length;
      run.maxTimestamp = Math.max(run.maxTimestamp, b.maxTimestamp);
      body.push(b.bytes);
      position += b.bytes.length;
    }
    flush();
  }

  const index = Buffer.alloc(4 + INDEX_ENTRY_BYTES * extents.length);
  index.writeUInt32BE(extents.length, 0);
  let at = 4;
  for (const e of extents) {
    if (index.write(e.topicId, at, 16, 'base64url') !== 16) throw new Error(`topic id ${e.topicId} is not 16 bytes of base64url`);
    index.writeInt32BE(e.partition, at + 16);
    writeInt64(index, e.baseOffset, at + 20);
    writeInt64(index, e.lastOffset, at + 28);
    writeInt64(index, e.position, at + 36);
    index.writeUInt32BE(e.length, at + 44);
    writeInt64(index, e.maxTimestamp, at + 48);
    index.writeInt32BE(e.leaderEpoch, at + 56);
    at += INDEX_ENTRY_BYTES;
  }
  const footer = Buffer.alloc(FOOTER_BYTES);
  writeInt64(footer, position, 0);
  footer.writeUInt32BE(index.length, 8);
  footer.writeUInt32BE(crc32c(index), 12);
  footer.writeUInt16BE(STREAM_SET_VERSION, 16);
  footer.writeUInt32BE(STREAM_SET_MAGIC, 20);
  body.push(index, footer);
  return { body, size: position + index.length + FOOTER_BYTES, extents };
}

function writeInt64(buf: Buffer, v: number, at: number): void {
  const hi = Math.floor(v / 4294967296);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * 4294967296, at + 4);
}
