// Reads a stream-set object's footer and index with ranged GETs. Used by recovery,
// compaction and garbage collection; the fetch path reads extents directly.

import type { ObjectStore } from '@stratus/objectstore';
import { crc32c } from '@stratus/protocol';
import type { Extent } from '@stratus/partition-index';
import { FOOTER_BYTES, HEADER_BYTES, INDEX_ENTRY_BYTES, STREAM_SET_MAGIC, STREAM_SET_VERSION } from './format.ts';

export class StreamSetFormatError extends Error {
  constructor(objectKey: string, message: string) {
    super(`stream-set object ${objectKey}: ${message}`);
    this.name = 'StreamSetFormatError';
  }
}

export interface Footer {
  readonly indexPosition: number;
  readonly indexLength: number;
  readonly indexCrc: number;
}

export function parseFooter(objectKey: string, objectSize: number, footer: Buffer): Footer {
  if (footer.length !== FOOTER_BYTES) throw new StreamSetFormatError(objectKey, `footer is ${footer.length} bytes`);
  if (footer.readUInt32BE(20) !== STREAM_SET_MAGIC) throw new StreamSetFormatError(objectKey, 'bad footer magic');
  const version = footer.readUInt16BE(16);
  if (version !== STREAM_SET_VERSION) throw new StreamSetFormatError(objectKey, `unsupported version ${version}`);
  const indexPosition = footer.readInt32BE(0) * 4294967296 + footer.readUInt32BE(4);
  const indexLength = footer.readUInt32BE(8);
  if (indexPosition < HEADER_BYTES || indexPosition + indexLength + FOOTER_BYTES !== objectSize || (indexLength - 4) % INDEX_ENTRY_BYTES !== 0) {
    throw new StreamSetFormatError(objectKey, `index at ${indexPosition}+${indexLength} does not fit an object of ${objectSize} bytes`);
  }
  return { indexPosition, indexLength, indexCrc: footer.readUInt32BE(12) };
}

export function parseIndex(objectKey: string, objectSize: number, footer: Footer, index: Buffer): Extent[] {
  if (index.length !== footer.indexLength) throw new StreamSetFormatError(objectKey, 'index length mismatch');
  if (crc32c(index) !== footer.indexCrc) throw new StreamSetFormatError(objectKey, 'index checksum mismatch');
  const count = index.readUInt32BE(0);
  if (4 + count * INDEX_ENTRY_BYTES !== index.length) throw new StreamSetFormatError(objectKey, `index count ${count} does not match its length`);
  const out: Extent[] = [];
  for (let i = 0, at = 4; i < count; i++, at += INDEX_ENTRY_BYTES) {
    const int64 = (o: number): number => index.readInt32BE(at + o) * 4294967296 + index.readUInt32BE(at + o + 4);
    out.push({
      objectKey,
      objectSize,
      topicId: index.toString('base64url', at, at + 16),
      partition: index.readInt32BE(at + 16),
      baseOffset: int64(20),
      lastOffset: int64(28),
      position: int64(36),
      length: index.readUInt32BE(at + 44),
      maxTimestamp: int64(48),
      leaderEpoch: index.readInt32BE(at + 56),
    });
  }
  return out;
}

/** Loads the index of an object of known size with two ranged GETs (footer, then index). */
export async function readStreamSetIndex(store: ObjectStore, objectKey: string, objectSize: number): Promise<Extent[]> {
  if (objectSize < HEADER_BYTES + 4 + FOOTER_BYTES) throw new StreamSetFormatError(objectKey, `object of ${objectSize} bytes is too small`);
  const footer = parseFooter(objectKey, objectSize, await store.get(objectKey, { start: objectSize - FOOTER_BYTES, end: objectSize }));
  const index = await store.get(objectKey, { start: footer.indexPosition, end: footer.indexPosition + footer.indexLength });
  return parseIndex(objectKey, objectSize, footer, index);
}
