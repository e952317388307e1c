// The state MemoryFileSystem keeps, and what a crash leaves of it: files (inodes) with
// a page-cache view and a durable view plus the operations not yet synced, directories
// with current and durable entries plus their un-synced entry changes, and the rules
// for which un-synced operations survive a crash. Pure data and functions; the
// FileSystem API on top is memory-fs.ts.

import type { Random } from '@stratus/runtime';
import { GrowableBytes } from './growable-bytes.ts';

/** What crash() keeps of the operations that were not synced. */
export type UnsyncedFate = 'none' | 'prefix' | 'any';

export type FileOp = { readonly kind: 'write'; readonly positionBytes: number; readonly data: Buffer } | { readonly kind: 'truncate'; readonly sizeBytes: number };

export class Inode {
  readonly id: number;
  readonly current: GrowableBytes;
  readonly durable: GrowableBytes;
  unsynced: FileOp[] = [];

  constructor(id: number, content?: Uint8Array) {
    this.id = id;
    this.current = new GrowableBytes(content);
    this.durable = new GrowableBytes(content);
  }
}

export type DirOp =
  | { readonly kind: 'link'; readonly name: string; readonly inode: Inode }
  | { readonly kind: 'unlink'; readonly name: string }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string; readonly inode: Inode };

export class Dir {
  readonly entries = new Map<string, Inode>();
  readonly durable = new Map<string, Inode>();
  readonly subdirs = new Set<string>();
  unsynced: DirOp[] = [];
}

export interface Disk {
  readonly dirs: Map<string, Dir>;
  nextInode: number;
}

export function applyDirOp(entries: Map<string, Inode>, op: DirOp): void {
  if (op.kind === 'link') entries.set(op.name, op.inode);
  else if (op.kind === 'unlink') entries.delete(op.name);
  else {
    entries.delete(op.from);
    entries.set(op.to, op.inode);
  }
}

export function applyOp(target: GrowableBytes, op: FileOp): void {
  if (op.kind === 'write') target.write(op.positionBytes, op.data);
  else target.truncate(op.sizeBytes);
}

/** The un-synced operations a crash keeps, in order, per fate. */
export function keptOps<T>(ops: readonly T[], fate: UnsyncedFate, random: Random): T[] {
  if (fate === 'none' || ops.length === 0) return [];
  if (fate === 'prefix') return ops.slice(0, random.int(ops.length + 1));
  return ops.filter(() => random.int(2) === 1);
}

/** A file's content after a crash: durable view plus the kept un-synced operations, writes possibly torn. */
export function survivingContent(inode: Inode, fate: UnsyncedFate, random: Random): GrowableBytes {
  const content = inode.durable.clone();
  if (fate === 'none' || inode.unsynced.length === 0) return content;
  const ops = inode.unsynced;
  if (fate === 'prefix') {
    const kept = random.int(ops.length + 1);
    for (let i = 0; i < kept; i++) applyOp(content, ops[i]!);
    const torn = ops[kept];
    if (torn?.kind === 'write') applyOp(content, { ...torn, data: torn.data.subarray(0, random.int(torn.data.length + 1)) });
    return content;
  }
  for (const op of ops) {
    if (random.int(2) === 0) continue;
    if (op.kind === 'write' && random.int(2) === 0) applyOp(content, { ...op, data: op.data.subarray(0, random.int(op.data.length + 1)) });
    else applyOp(content, op);
  }
  return content;
}
