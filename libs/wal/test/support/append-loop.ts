// Child process of the SIGKILL test: opens the WAL in argv[2] on the real file system
// and appends random records from 8 concurrent appenders until killed. Prints
// "ready <nextSeq>" after recovery, then one line per acknowledged append:
// "<seq> <sha256 of its payload>". stdout is a pipe, which Node writes synchronously on
// Linux, so every printed ack is in the pipe before the next step runs.

import { createHash, randomBytes } from 'node:crypto';
import { nodeFileSystem, openWal } from '@stratus/wal';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: append-loop.ts <dir>');
const { wal, recovery } = await openWal({ dir, fs: nodeFileSystem, segmentBytes: 256 * 1024 });
process.stdout.write(`ready ${recovery.nextSeq}\n`);

async function appender(): Promise<void> {
  for (;;) {
    const size = 1 + Math.floor(Math.random() * 64 * 1024);
    const data = randomBytes(size);
    // Split some records into chunks, as produce requests do.
    const seq = await wal.append(size % 3 === 0 ? [data.subarray(0, size >> 1), data.subarray(size >> 1)] : data);
    process.stdout.write(`${seq} ${createHash('sha256').update(data).digest('hex')}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, appender));
