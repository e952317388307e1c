// The kernel's side of a connection's answers (Linux): how many bytes written to a TCP
// socket its peer has not acknowledged yet — /proc/net/tcp's tx_queue (write_seq −
// snd_una), found by the socket's inode. Unlike libuv's write queue it moves while the
// kernel's send buffer is full: it shrinks whenever the client's TCP acknowledges data,
// which it does as the client reads (send-stall.ts tells why that matters).
//
// One read of /proc/net/tcp (then tcp6, for what it lacks) answers for every socket. It
// costs the kernel a few ms per thousand sockets on the host, so it is read in the thread
// pool, once per sweep, and only while some connection has answers the kernel's send
// buffer has no room for. Without /proc (not Linux) nothing is known, and nothing is read.

import { readlinkSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';

/** The socket's inode (`socket:[N]` in /proc/self/fd), or undefined when it cannot be known. */
export function socketInode(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return inodeOfLink(readlinkSync(`/proc/self/fd/${fd}`));
  } catch {
    return undefined;
  }
}

function inodeOfLink(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m === null ? undefined : Number(m[1]);
}

// A line: "  sl  local rem st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
// (hexadecimal but the last three), the same in tcp and tcp6.
const LINE = /^ *\d+: \S+ \S+ [0-9A-F]+ ([0-9A-F]+):[0-9A-F]+ \S+ \S+ +\d+ +\d+ (\d+) /gm;

/** Parses /proc/net/tcp or tcp6 text: tx_queue of each wanted inode found. */
export function parseSendQueues(text: string, inodes: ReadonlySet<number>, into: Map<number, number>): void {
  for (const m of text.matchAll(LINE)) {
    const inode = Number(m[2]);
    if (inodes.has(inode)) into.set(inode, parseInt(m[1]!, 16));
  }
}

/**
 * Unacknowledged bytes of each socket (by inode) that the kernel lists; sockets it does
 * not list (closed meanwhile, or no /proc) are left out.
 */
export async function readSendQueues(inodes: ReadonlySet<number>): Promise<Map<number, number>> {
  const found = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (found.size === inodes.size) break;
    try {
      parseSendQueues(await readFile(file, 'latin1'), inodes, found);
    } catch {
      // No such table (no IPv6, not Linux): what it would list stays unknown.
    }
  }
  return found;
}

