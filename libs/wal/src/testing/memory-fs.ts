// MemoryFileSystem: an in-memory FileSystem that models what a crash can do to data
// that was not made durable, plus injectable faults. For WAL tests and for the storage
// engine's seeded simulation.
//
// The model (the strict POSIX reading, which is what a correct program must assume):
// - File contents have two views. Reads see the page cache: every write and truncate,
//   at once. The durable view changes only on datasync, which applies the file's
//   un-synced writes and truncates, in order.
// - Directory entries (create, unlink, rename) are the same: visible at once, durable
//   only after syncDir of their directory. A file whose data was synced but whose
//   entry was not is lost in a crash. mkdir is durable at once (a simplification).
// - crash() ends this instance (every later call on it or its handles fails with
//   ECRASHED, so a log still running from "before" cannot touch the new state) and
//   returns a new instance holding what survived: the durable views, plus, depending on
//   `keepUnsynced`, none / a random prefix / a random subset of the un-synced
//   operations, where a kept write may be torn (only a random prefix of its bytes
//   lands). Randomness comes from the injected Random, so a seed reproduces a crash.
// - A failed datasync behaves like Linux after an EIO from fsync (fsyncgate): the
//   un-synced operations are dropped from the durable view for good (the page cache
//   still shows them) and a later datasync succeeds without them.
// - Every call first awaits `schedule()` (default: one setImmediate), so concurrent
//   work interleaves at each file-system call and a freeze can stop the world between
//   any two calls.
//
// Not modelled: hard links, renaming directories, permissions, free space returned by
// unlink/truncate (noSpaceAfter counts bytes written, not bytes held). The state and
// the crash rules live in disk-model.ts; fault rules in faults.ts.

import { posix } from 'node:path';
import { SeededRandom } from '@stratus/runtime';
import type { Random } from '@stratus/runtime';
import type { FileHandle, FileSystem, OpenMode } from '../fs.ts';
import { Dir, Inode, applyDirOp, applyOp, keptOps, survivingContent } from './disk-model.ts';
import type { Disk, UnsyncedFate } from './disk-model.ts';
import { FaultPlan } from './faults.ts';
import type { FaultAction, FaultRule, FsOp } from './faults.ts';

export interface CrashOptions {
  /**
   * 'none' (default): only synced state survives. 'prefix': per file and per directory,
   * a random number of un-synced operations survive in order, the first lost write
   * possibly torn. 'any': each un-synced operation survives independently (page
   * writeback in any order), each kept write possibly torn.
   */
  readonly keepUnsynced?: UnsyncedFate;
  /** Overrides the instance's Random for this crash. */
  readonly random?: Random;
}

export interface MemoryFileSystemOptions {
  /** Drives crash() choices and bit flips. Default: SeededRandom(1). */
  readonly random?: Random;
  /** Awaited at the start of every call. Default: one setImmediate turn. */
  readonly schedule?: () => Promise<void>;
}

/** Calls that succeeded, by kind (failed ones count only in `calls`, except writes and datasyncs, which count either way). */
export interface MemoryFsCounters {
  opens: number;
  writes: number;
  bytesWritten: number;
  reads: number;
  datasyncs: number;
  dirSyncs: number;
  unlinks: number;
  renames: number;
  truncates: number;
  /** Every call, of any kind. */
  calls: number;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const never = new Promise<never>(() => undefined);

function fsError(code: string, syscall: string, path: string, detail = 'injected by MemoryFileSystem'): Error {
  return Object.assign(new Error(`${code}: ${syscall} '${path}' (${detail})`), { code, syscall, path });
}

export class MemoryFileSystem implements FileSystem {
  readonly counters: MemoryFsCounters = { opens: 0, writes: 0, bytesWritten: 0, reads: 0, datasyncs: 0, dirSyncs: 0, unlinks: 0, renames: 0, truncates: 0, calls: 0 };
  private readonly disk: Disk;
  private readonly random: Random;
  private readonly schedule: () => Promise<void>;
  private readonly faults = new FaultPlan();
  private alive = true;
  private noSpaceLeftBytes: number | undefined;
  private freezeInCalls: number | undefined;
  private onFrozen: (() => void) | undefined;

  /** `disk` is internal: crash() passes the state that survived. */
  constructor(options: MemoryFileSystemOptions = {}, disk?: Disk) {
    this.random = options.random ?? new SeededRandom(1);
    this.schedule = options.schedule ?? immediate;
    this.disk = disk ?? { dirs: new Map([['/', new Dir()]]), nextInode: 1 };
  }

  // --- fault injection ---------------------------------------------------------------

  /** Adds a fault rule (see FaultRule). Rules fire in the order added. */
  inject(rule: FaultRule): void {
    this.faults.add(rule);
  }

  clearFaults(): void {
    this.faults.clear();
    this.noSpaceLeftBytes = undefined;
    this.freezeInCalls = undefined;
  }

  /** Writes fail with ENOSPC once `bytes` more bytes have been written (the write that crosses the limit lands partly). undefined lifts it. */
  noSpaceAfter(bytes: number | undefined): void {
    this.noSpaceLeftBytes = bytes;
  }

  /**
   * Lets `calls` more calls run, then every later call hangs for ever (power is cut
   * between two calls). Resolves when the first call is held; then crash().
   */
  freezeAfter(calls: number): Promise<void> {
    this.freezeInCalls = calls;
    return new Promise((resolve) => (this.onFrozen = resolve));
  }

  /** Whether a freeze has started holding calls. */
  get frozen(): boolean {
    return this.freezeInCalls !== undefined && this.freezeInCalls < 0;
  }

  /**
   * Simulates power loss: this instance and its handles stop working, and the returned
   * instance sees only what survived (see the header comment and CrashOptions).
   */
  crash(options: CrashOptions = {}): MemoryFileSystem {
    this.alive = false;
    this.onFrozen = undefined;
    const fate = options.keepUnsynced ?? 'none';
    const random = options.random ?? this.random;
    const survivors = new Map<Inode, Inode>();
    const disk: Disk = { dirs: new Map(), nextInode: this.disk.nextInode };
    const surviving = (inode: Inode): Inode => {
      let copy = survivors.get(inode);
      if (copy === undefined) {
        copy = new Inode(inode.id, survivingContent(inode, fate, random).toBuffer());
        survivors.set(inode, copy);
      }
      return copy;
    };
    for (const [path, dir] of this.disk.dirs) {
      const entries = new Map(dir.durable);
      for (const op of keptOps(dir.unsynced, fate, random)) applyDirOp(entries, op);
      const next = new Dir();
      for (const sub of dir.subdirs) next.subdirs.add(sub);
      for (const [name, inode] of entries) {
        const copy = surviving(inode);
        next.entries.set(name, copy);
        next.durable.set(name, copy);
      }
      disk.dirs.set(path, next);
    }
    return new MemoryFileSystem({ random: this.random, schedule: this.schedule }, disk);
  }

  // --- inspection (synchronous; no faults, not counted) -------------------------------

  /** Entry names of a directory as reads see them now, sorted. */
  list(dir: string): string[] {
    const d = this.disk.dirs.get(normalize(dir));
    if (d === undefined) return [];
    return [...d.entries.keys(), ...d.subdirs].sort();
  }

  /** A file's content as reads see it now. */
  readFile(path: string): Buffer {
    return this.inodeAt(path).current.toBuffer();
  }

  /** A file's durable content (what crash({ keepUnsynced: 'none' }) keeps if its entry is durable). */
  durableContent(path: string): Buffer {
    return this.inodeAt(path).durable.toBuffer();
  }

  /** Creates or replaces a file whose content and entry are already durable, with its directories (test setup). */
  writeFileDurably(path: string, content: Uint8Array): void {
    const p = normalize(path);
    this.makeDirs(posix.dirname(p));
    const dir = this.dirOf(p, 'open');
    const inode = new Inode(this.disk.nextInode++, content);
    dir.entries.set(posix.basename(p), inode);
    dir.durable.set(posix.basename(p), inode);
  }

  /** XORs one stored byte, durable and cached alike: a media error reads cannot undo. */
  corrupt(path: string, positionBytes: number, xorMask = 0x01): void {
    const inode = this.inodeAt(path);
    inode.current.xor(positionBytes, xorMask);
    inode.durable.xor(positionBytes, xorMask);
  }

  /** Bytes of writes not yet synced, over all files. */
  unsyncedBytes(): number {
    let total = 0;
    const seen = new Set<Inode>();
    for (const dir of this.disk.dirs.values()) {
      for (const inode of dir.entries.values()) {
        if (seen.has(inode)) continue;
        seen.add(inode);
        for (const op of inode.unsynced) if (op.kind === 'write') total += op.data.length;
      }
    }
    return total;
  }

  // --- FileSystem ----------------------------------------------------------------------

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const p = normalize(path);
    const fault = await this.enter('open', p);
    if (fault !== undefined) throw this.failure(fault, 'open', p);
    const dir = this.dirOf(p, 'open');
    const name = posix.basename(p);
    if (this.disk.dirs.has(p)) {
      if (mode !== 'read') throw fsError('EISDIR', 'open', p, 'is a directory');
      throw fsError('EISDIR', 'open', p, 'reading directories is not modelled');
    }
    let inode = dir.entries.get(name);
    if (inode === undefined) {
      if (mode === 'read' || mode === 'readwrite') throw fsError('ENOENT', 'open', p, 'no such file');
      inode = new Inode(this.disk.nextInode++);
      dir.entries.set(name, inode);
      dir.unsynced.push({ kind: 'link', name, inode });
    } else if (mode === 'create') {
      throw fsError('EEXIST', 'open', p, 'file exists');
    } else if (mode === 'overwrite') {
      inode.current.truncate(0);
      inode.unsynced.push({ kind: 'truncate', sizeBytes: 0 });
    }
    this.counters.opens++;
    return new MemoryFileHandle(this, inode, p, mode !== 'read');
  }

  async readdir(dir: string): Promise<string[]> {
    const p = normalize(dir);
    const fault = await this.enter('readdir', p);
    if (fault !== undefined) throw this.failure(fault, 'readdir', p);
    const d = this.disk.dirs.get(p);
    if (d === undefined) throw fsError('ENOENT', 'readdir', p, 'no such directory');
    return [...d.entries.keys(), ...d.subdirs];
  }

  async unlink(path: string): Promise<void> {
    const p = normalize(path);
    const fault = await this.enter('unlink', p);
    if (fault !== undefined) throw this.failure(fault, 'unlink', p);
    this.counters.unlinks++;
    const dir = this.dirOf(p, 'unlink');
    const name = posix.basename(p);
    if (!dir.entries.delete(name)) throw fsError('ENOENT', 'unlink', p, 'no such file');
    dir.unsynced.push({ kind: 'unlink', name });
  }

  async rename(from: string, to: string): Promise<void> {
    const src = normalize(from);
    const dst = normalize(to);
    const fault = await this.enter('rename', src);
    if (fault !== undefined) throw this.failure(fault, 'rename', src);
    this.counters.renames++;
    const srcDir = this.dirOf(src, 'rename');
    const dstDir = this.dirOf(dst, 'rename');
    const inode = srcDir.entries.get(posix.basename(src));
    if (inode === undefined) throw fsError('ENOENT', 'rename', src, 'no such file');
    if (src === dst) return;
    srcDir.entries.delete(posix.basename(src));
    dstDir.entries.set(posix.basename(dst), inode);
    if (srcDir === dstDir) {
      // Atomic, as rename(2) is within one file system: a crash keeps it whole or not at all.
      srcDir.unsynced.push({ kind: 'rename', from: posix.basename(src), to: posix.basename(dst), inode });
    } else {
      // Across directories each side becomes durable with its own directory's sync.
      dstDir.unsynced.push({ kind: 'link', name: posix.basename(dst), inode });
      srcDir.unsynced.push({ kind: 'unlink', name: posix.basename(src) });
    }
  }

  async mkdir(dir: string): Promise<void> {
    const p = normalize(dir);
    const fault = await this.enter('mkdir', p);
    if (fault !== undefined) throw this.failure(fault, 'mkdir', p);
    this.makeDirs(p);
  }

  async syncDir(dir: string): Promise<void> {
    const p = normalize(dir);
    const fault = await this.enter('syncDir', p);
    if (fault !== undefined) throw this.failure(fault, 'fsync', p);
    this.counters.dirSyncs++;
    const d = this.disk.dirs.get(p);
    if (d === undefined) throw fsError('ENOENT', 'open', p, 'no such directory');
    for (const op of d.unsynced) applyDirOp(d.durable, op);
    d.unsynced = [];
  }

  async stat(path: string): Promise<{ readonly sizeBytes: number }> {
    const p = normalize(path);
    const fault = await this.enter('stat', p);
    if (fault !== undefined) throw this.failure(fault, 'stat', p);
    if (this.disk.dirs.has(p)) return { sizeBytes: 0 };
    const inode = this.dirOf(p, 'stat').entries.get(posix.basename(p));
    if (inode === undefined) throw fsError('ENOENT', 'stat', p, 'no such file');
    return { sizeBytes: inode.current.size };
  }

  // --- internal: used by MemoryFileHandle, not part of the testing API ---------------------

  /** @internal Waits for the schedule, checks liveness, freeze and fault rules. Resolves with a firing fault. */
  async enter(op: FsOp, path: string): Promise<FaultAction | undefined> {
    await this.schedule();
    if (!this.alive) throw fsError('ECRASHED', op, path, 'this MemoryFileSystem crashed; use the instance crash() returned');
    this.counters.calls++;
    if (this.freezeInCalls !== undefined) {
      if (this.freezeInCalls <= 0) {
        this.freezeInCalls = -1;
        this.onFrozen?.();
        this.onFrozen = undefined;
        return never;
      }
      this.freezeInCalls--;
    }
    const fault = this.faults.check(op, path);
    if (fault?.kind === 'hang') return never;
    return fault;
  }

  /** @internal */
  failure(fault: FaultAction, syscall: string, path: string): Error {
    return fsError(fault.kind === 'fail' ? fault.error : 'EIO', syscall, path);
  }

  /** @internal Bytes of a write that fit under noSpaceAfter; consumes them. */
  takeSpace(bytes: number): number {
    if (this.noSpaceLeftBytes === undefined) return bytes;
    const granted = Math.min(bytes, this.noSpaceLeftBytes);
    this.noSpaceLeftBytes -= granted;
    return granted;
  }

  /** @internal */
  randomInt(maxExclusive: number): number {
    return this.random.int(maxExclusive);
  }

  private makeDirs(path: string): void {
    let current = '/';
    for (const part of path.split('/').filter((s) => s.length > 0)) {
      const next = posix.join(current, part);
      const parent = this.disk.dirs.get(current)!;
      if (parent.entries.has(part)) throw fsError('ENOTDIR', 'mkdir', next, 'a file is in the way');
      if (!this.disk.dirs.has(next)) {
        this.disk.dirs.set(next, new Dir());
        parent.subdirs.add(part);
      }
      current = next;
    }
  }

  private dirOf(path: string, syscall: string): Dir {
    const dir = this.disk.dirs.get(posix.dirname(path));
    if (dir === undefined) throw fsError('ENOENT', syscall, path, 'no such directory');
    return dir;
  }

  private inodeAt(path: string): Inode {
    const p = normalize(path);
    const inode = this.disk.dirs.get(posix.dirname(p))?.entries.get(posix.basename(p));
    if (inode === undefined) throw fsError('ENOENT', 'inspect', p, 'no such file');
    return inode;
  }
}

class MemoryFileHandle implements FileHandle {
  private readonly fs: MemoryFileSystem;
  private readonly inode: Inode;
  private readonly path: string;
  private readonly writable: boolean;
  private closed = false;

  constructor(fs: MemoryFileSystem, inode: Inode, path: string, writable: boolean) {
    this.fs = fs;
    this.inode = inode;
    this.path = path;
    this.writable = writable;
  }

  async writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<number> {
    const fault = await this.enter('write');
    if (!this.writable) throw fsError('EBADF', 'write', this.path, 'opened read-only');
    const data = Buffer.concat(buffers);
    let land = this.fs.takeSpace(data.length);
    let error = land < data.length ? fsError('ENOSPC', 'write', this.path, 'no space left (noSpaceAfter)') : undefined;
    if (fault !== undefined) {
      const keep = fault.kind === 'fail' ? Math.min(fault.keepBytes ?? 0, land) : 0;
      land = keep;
      error = fault.kind === 'fail' && fault.returnShort ? undefined : this.fs.failure(fault, 'write', this.path);
    }
    if (land > 0) {
      const landed = Buffer.from(data.subarray(0, land));
      this.inode.current.write(positionBytes, landed);
      this.inode.unsynced.push({ kind: 'write', positionBytes, data: landed });
      this.fs.counters.bytesWritten += land;
    }
    this.fs.counters.writes++;
    if (error !== undefined) throw error;
    return land;
  }

  async read(buffer: Uint8Array, offset: number, lengthBytes: number, positionBytes: number): Promise<number> {
    const fault = await this.enter('read');
    if (fault?.kind === 'fail') throw this.fs.failure(fault, 'read', this.path);
    this.fs.counters.reads++;
    const n = this.inode.current.readInto(buffer, offset, lengthBytes, positionBytes);
    if (fault?.kind === 'flip-bit' && n > 0) {
      const at = offset + this.fs.randomInt(n);
      buffer[at] = buffer[at]! ^ (1 << this.fs.randomInt(8));
    }
    return n;
  }

  async datasync(): Promise<void> {
    const fault = await this.enter('datasync');
    this.fs.counters.datasyncs++;
    const ops = this.inode.unsynced;
    this.inode.unsynced = [];
    // On failure the un-synced operations are gone from the durable view for good.
    if (fault !== undefined) throw this.fs.failure(fault, 'fdatasync', this.path);
    for (const op of ops) applyOp(this.inode.durable, op);
  }

  async truncate(sizeBytes: number): Promise<void> {
    const fault = await this.enter('truncate');
    if (fault !== undefined) throw this.fs.failure(fault, 'ftruncate', this.path);
    if (!this.writable) throw fsError('EINVAL', 'ftruncate', this.path, 'opened read-only');
    this.fs.counters.truncates++;
    this.inode.current.truncate(sizeBytes);
    this.inode.unsynced.push({ kind: 'truncate', sizeBytes });
  }

  async size(): Promise<number> {
    const fault = await this.enter('size');
    if (fault !== undefined) throw this.fs.failure(fault, 'fstat', this.path);
    return this.inode.current.size;
  }

  async close(): Promise<void> {
    const fault = await this.enter('close');
    this.closed = true;
    if (fault !== undefined) throw this.fs.failure(fault, 'close', this.path);
  }

  private async enter(op: FsOp): Promise<FaultAction | undefined> {
    const fault = await this.fs.enter(op, this.path);
    if (this.closed) throw fsError('EBADF', op, this.path, 'handle closed');
    return fault;
  }
}

function normalize(path: string): string {
  return posix.resolve('/', path);
}
