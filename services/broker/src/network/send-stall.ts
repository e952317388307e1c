// Tells a client that stopped reading from one that reads slowly: answers wait in the
// socket's buffers and the kernel takes none of their bytes for the stall timeout. Its
// unread answers hold response budget (response-ledger.ts), so such a connection is
// closed; a slow reader keeps its connection however long a large answer takes.
//
// Progress is measured in bytes. `writableLength` alone moves only when a whole write
// request completes — with cork, a burst of answers is one writev — so a 50 MiB answer
// read slowly would look stalled. libuv's `writeQueueSize` on the socket's handle shrinks
// as the kernel takes part of a write. It is not in Node's documented API (Node's own
// streams use it), so without it only whole writes count.
//
// Sampled by the server's sweep, no clock reads on the write path: the stall is counted
// from the first sample that saw no progress, so it fires up to one sweep late.

import type { Socket } from 'node:net';

interface HandleWithQueue {
  readonly writeQueueSize?: number;
}

/** Bytes libuv has yet to write of what Node handed it, when the handle says. */
function libuvQueuedBytes(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: HandleWithQueue | null })._handle;
  return typeof handle?.writeQueueSize === 'number' ? handle.writeQueueSize : 0;
}

export class SendStall {
  private sinceMs: number | undefined;
  private lastWritable = 0;
  private lastQueued = 0;

  /** True when bytes have been waiting and none left for `timeoutMs`. */
  stalled(socket: Socket, nowMs: number, timeoutMs: number): boolean {
    const writable = socket.writableLength;
    if (writable === 0) {
      this.sinceMs = undefined;
      return false;
    }
    const queued = libuvQueuedBytes(socket);
    const moved = writable < this.lastWritable || queued < this.lastQueued;
    this.lastWritable = writable;
    this.lastQueued = queued;
    if (this.sinceMs === undefined || moved) {
      this.sinceMs = nowMs;
      return false;
    }
    return nowMs - this.sinceMs >= timeoutMs;
  }
}
