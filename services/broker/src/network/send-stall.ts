// Tells a client that stopped reading from one that reads slowly: answers wait in the
// socket's buffers and the client takes none of their bytes for the stall timeout. Its
// unread answers hold response budget (response-ledger.ts), so such a connection is
// closed; a slow reader keeps its connection however long a large answer takes.
//
// Progress is measured in bytes, at three depths, and any of them moving is progress:
// - `writableLength` (Node) moves only when a whole write request completes — with cork,
//   a burst of answers is one writev — so a 50 MiB answer read slowly would look stalled;
// - libuv's `writeQueueSize` on the socket's handle shrinks as the kernel takes part of a
//   write. Not in Node's documented API (Node's own streams use it);
// - the kernel's unacknowledged bytes (tcp-send-queue.ts, Linux) shrink as the client's
//   TCP acknowledges data, i.e. as the client reads.
// The last one is needed because the first two go blind while the kernel's send buffer
// is full. Linux autotunes that buffer up to net.ipv4.tcp_wmem's maximum (4 MiB by
// default) and wakes the writer only once a third of it is free again, so libuv takes
// nothing until the client has read over a MiB: measured on loopback, a client reading a
// 7 MiB answer at 128 KiB/s left libuv's queue unchanged for 9.8 s, while the kernel's
// unacknowledged bytes fell by ~95 KiB every 0.6 s. At a few KiB/s that blindness is
// minutes, so without the kernel's count any slow reader would be closed. With it, what
// the broker cannot see is what the client's TCP does not acknowledge: a client's TCP
// reopens its window once it has read a segment (64 KiB on loopback, 1,460 B on
// Ethernet) or, with a large and full receive buffer, a sixteenth of it — a reader slower
// than that per stall timeout looks (and for the broker is) stalled. Without /proc only
// the first two count.
//
// Sampled by the server's sweep, no clock reads on the write path: the stall is counted
// from the first sample that saw no progress, so it fires up to one sweep late. A sample
// is taken in two halves, so one read of the kernel's table serves every connection:
// sample() looks at user space and says whether the kernel's count is needed (libuv holds
// bytes the kernel has no room for); judge() gets that count.

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
  /** Start of the current span without progress; undefined while nothing waits. */
  private sinceMs: number | undefined;
  private lastWritable = 0;
  private lastQueued = 0;
  /** The kernel's unacknowledged bytes at the last sample, when it was read. */
  private lastKernel: number | undefined;
  /** The current sample's user-space half: answers wait / some of them moved. */
  private waiting = false;
  private moved = false;

  /**
   * User space's half of a sample. True when answers wait behind a full kernel send
   * buffer: the kernel's unacknowledged bytes are then needed to tell a slow reader from
   * one that reads nothing (pass them to judge()). `transport`: the TCP socket under a
   * TLS `socket`.
   */
  sample(socket: Socket, transport: Socket = socket): boolean {
    // Under TLS, `socket` holds the unencrypted answers and `transport` (the TCP socket)
    // the encrypted bytes libuv writes.
    const writable = socket.writableLength;
    this.waiting = writable > 0;
    if (!this.waiting) return false;
    const queued = libuvQueuedBytes(transport);
    this.moved = writable < this.lastWritable || queued < this.lastQueued;
    this.lastWritable = writable;
    this.lastQueued = queued;
    return queued > 0;
  }

  /**
   * The sample's verdict: true when bytes have been waiting and none moved for
   * `timeoutMs`. `kernelQueued`: the kernel's unacknowledged bytes, when sample() asked
   * for them and they are known.
   */
  judge(nowMs: number, timeoutMs: number, kernelQueued: number | undefined): boolean {
    if (!this.waiting) {
      this.sinceMs = undefined;
      this.lastKernel = undefined;
      return false;
    }
    // The count grows only as libuv hands the kernel more, which libuv's queue shows;
    // it shrinks only as the client acknowledges.
    const acked = kernelQueued !== undefined && this.lastKernel !== undefined && kernelQueued < this.lastKernel;
    this.lastKernel = kernelQueued;
    if (this.sinceMs === undefined || this.moved || acked) {
      this.sinceMs = nowMs;
      return false;
    }
    return nowMs - this.sinceMs >= timeoutMs;
  }
}
