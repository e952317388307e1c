// Snapshot sections as JSON lines, the payload of version-2 snapshot files: one section
// per line (JSON.stringify never emits a raw newline, and 0x0A never occurs inside a
// multi-byte UTF-8 sequence, so a line ends at the first 0x0A byte).
//
// Writing encodes sections into chunks of about `chunkBytes` and hands each chunk to
// `write`, then yields to the event loop before encoding the next: the longest stretch
// of synchronous work is one chunk (at most chunkBytes characters plus one section,
// whose size StateCapture.sections bounds), never the whole state. The CRC-32C runs over
// the chunks as they go. Chunks are encoded into one reused buffer (`write` is awaited
// before the next chunk), so a snapshot leaves no trail of chunk-sized buffers for the
// garbage collector.
//
// Reading takes the payload in blocks of any size and parses each complete line as it
// arrives, so no more than one block and one section are held at a time.

import { crc32c } from '@stratus/protocol';
import type { SnapshotSection } from '../state/snapshot-sections.ts';
import { MetadataStoreError } from './metadata-store.ts';

export interface SectionWriteOptions {
  /** Characters of JSON encoded between two yields; a chunk ends at the first section end past it. */
  readonly chunkBytes: number;
  /** Lets the event loop run other work between chunks (the store's default: one setImmediate turn). */
  readonly yieldToEventLoop: () => Promise<void>;
}

/**
 * Encodes `sections` as JSON lines through `write`, one chunk at a time; resolves with
 * the payload's length and CRC-32C. A chunk is only valid until its write resolves.
 */
export async function writeSectionLines(
  sections: Iterable<SnapshotSection>,
  write: (chunk: Buffer) => Promise<void>,
  o: SectionWriteOptions,
): Promise<{ readonly bytes: number; readonly crc: number }> {
  let parts: string[] = [];
  let chars = 0;
  let bytes = 0;
  let crc = 0;
  // Room for a full chunk plus a typical overshoot; a larger chunk gets its own buffer.
  let scratch: Buffer | undefined;
  const flush = async (): Promise<void> => {
    const text = parts.join('');
    parts = [];
    chars = 0;
    const length = Buffer.byteLength(text, 'utf8');
    scratch ??= Buffer.allocUnsafe(2 * o.chunkBytes);
    const chunk = length <= scratch.length ? scratch.subarray(0, length) : Buffer.allocUnsafe(length);
    chunk.write(text, 0, 'utf8');
    crc = crc32c(chunk, crc);
    bytes += chunk.length;
    await write(chunk);
  };
  for (const section of sections) {
    const line = `${JSON.stringify(section)}\n`;
    parts.push(line);
    chars += line.length;
    if (chars >= o.chunkBytes) {
      await flush();
      await o.yieldToEventLoop();
    }
  }
  if (parts.length > 0) await flush();
  return { bytes, crc };
}

/** Splits payload blocks into lines and parses each into a section (checked later by SnapshotBuilder). */
export class SectionLineDecoder {
  private readonly name: string;
  /** The start of a line that continues in the next block (copied: blocks are reused). */
  private carry: Buffer[] = [];
  /** Payload offset of the next byte pushed, for error messages. */
  private offset = 0;

  constructor(name: string) {
    this.name = name;
  }

  *push(block: Buffer): Generator<SnapshotSection> {
    let start = 0;
    for (let nl = block.indexOf(0x0a); nl >= 0; nl = block.indexOf(0x0a, start)) {
      let line = block.subarray(start, nl);
      if (this.carry.length > 0) {
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
      }
      yield this.parse(line, this.offset + nl - line.length);
      start = nl + 1;
    }
    if (start < block.length) this.carry.push(Buffer.from(block.subarray(start)));
    this.offset += block.length;
  }

  /** Throws unless the payload ended with a complete line. */
  end(): void {
    if (this.carry.length > 0) throw new MetadataStoreError(`snapshot ${this.name} is unreadable: its payload ends inside a section`);
  }

  private parse(line: Buffer, at: number): SnapshotSection {
    try {
      return JSON.parse(line.toString('utf8')) as SnapshotSection;
    } catch (err) {
      throw new MetadataStoreError(`snapshot ${this.name} is unreadable: the section at payload byte ${at} is not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
  }
}
