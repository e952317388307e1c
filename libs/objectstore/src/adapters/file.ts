// file:///abs/path or file://./relative — objects as files under a root directory, for
// embedded mode (`stratus dev`) and single-machine setups. Not for sharing one root
// between several processes that use `ifMatch` (see below).
//
// Layout: key `a/b/c` is the file `<root>/a/b/c`. A key cannot be both an object and a
// "directory" of others (`a` and `a/b`): the second put fails with invalid_argument.
// Temporary files are named `.stratus-tmp-*`; keys with such a segment are refused, and
// list never shows them.
//
// Durability and atomicity: put writes a temporary file in the target directory, fsyncs
// it, moves it into place with rename (or link, below), then fsyncs the directory; new
// directories are fsynced into their parents. Readers see the old file or the new one.
// Deletes are not fsynced: an object coming back after a crash is harmless, since
// deleting is idempotent and garbage collection tries again.
//
// Preconditions: ifNoneMatch uses link(2), which fails with EEXIST when the name exists,
// so it is race-free even between processes. ifMatch compares the etag and renames under
// an in-process per-key lock (all puts and deletes of a key take it): atomic within this
// process; across processes it is check-then-rename.
//
// Etag: `<inode>-<mtime ns>-<size>` in hex, from the temporary file before it is moved
// (rename and link keep inode and mtime). Every put makes a new inode, and the replaced
// inode is freed only after the new one exists, so a replaced object never shows the etag
// of its successor. (An inode number freed by one put can be reused by a later one; with
// equal size and mtime tick that would repeat an old etag: a known, unlikely ABA.)

import { constants as fsConstants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { link, mkdir, open, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ObjectStoreError } from '../object-store.ts';
import type { ByteRange, ListOptions, ListPage, ObjectInfo, ObjectStore, PutOptions, ReadOptions } from '../object-store.ts';
import { bodyChunks, bodyLength } from '../internal/body.ts';
import type { Body } from '../internal/body.ts';
import { checkKey, compareKeys, pageLimit } from '../internal/keys.ts';
import { checkRange, resolveRange } from '../internal/range.ts';
import { throwIfAborted } from '../internal/abort.ts';
import { errno, etagOf, fsError, fsyncDir, statObject, writeAll } from './file-io.ts';

const TEMP_PREFIX = '.stratus-tmp-';

/** How many times put recreates a directory that a concurrent delete removed under it. */
const MKDIR_ATTEMPTS = 5;
/** A PUT's data is fdatasync'ed in steps of about this much (see writeAll). */
const SYNC_EVERY_BYTES = 1024 * 1024;

export class FileObjectStore implements ObjectStore {
  readonly url: string;
  readonly root: string;
  private readonly locks = new Map<string, Promise<void>>();
  private tempSeq = 0;

  private constructor(url: string, root: string) {
    this.url = url;
    this.root = root;
  }

  /** Opens (and creates) the root directory `root`, an absolute path. */
  static async open(root: string, url = `file://${root}`): Promise<FileObjectStore> {
    if (!path.isAbsolute(root)) throw new ObjectStoreError('invalid_argument', 'open', undefined, `root must be absolute: ${root}`);
    try {
      await mkdir(root, { recursive: true });
    } catch (err) {
      throw fsError(err, 'open', undefined);
    }
    return new FileObjectStore(url, path.resolve(root));
  }

  async put(key: string, body: Body, options?: PutOptions): Promise<ObjectInfo> {
    this.checkKey(key, 'put');
    if (options?.ifNoneMatch === true && options.ifMatch !== undefined) {
      throw new ObjectStoreError('invalid_argument', 'put', key, 'ifNoneMatch and ifMatch together');
    }
    throwIfAborted(options?.signal);
    return this.withKeyLock(key, async () => {
      const file = this.pathOf(key);
      const dir = path.dirname(file);
      const { temp, info } = await this.writeTemp(key, dir, body);
      try {
        throwIfAborted(options?.signal);
        if (options?.ifNoneMatch === true) {
          await link(temp, file).catch((err: unknown) => {
            if (errno(err) === 'EEXIST') throw new ObjectStoreError('precondition_failed', 'put', key, 'exists', { cause: err });
            throw err;
          });
          await unlink(temp);
        } else {
          if (options?.ifMatch !== undefined) {
            const current = await statObject(file);
            if (current === undefined || etagOf(current) !== options.ifMatch) {
              throw new ObjectStoreError('precondition_failed', 'put', key, current === undefined ? 'does not exist' : 'etag differs');
            }
          }
          await rename(temp, file);
        }
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw fsError(err, 'put', key);
      }
      await fsyncDir(dir).catch((err: unknown) => {
        throw fsError(err, 'put', key);
      });
      return { key, size: Number(info.size), etag: etagOf(info) };
    });
  }

  async get(key: string, range?: ByteRange, options?: ReadOptions): Promise<Buffer> {
    this.checkKey(key, 'get');
    checkRange(range, key);
    throwIfAborted(options?.signal);
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.pathOf(key), 'r');
      const st = await fh.stat();
      if (!st.isFile()) throw new ObjectStoreError('not_found', 'get', key, 'no such object');
      const { start, end } = resolveRange(range, st.size, key);
      const out = Buffer.allocUnsafe(end - start);
      let done = 0;
      while (done < out.length) {
        throwIfAborted(options?.signal);
        const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break; // truncated underneath us: cannot happen with rename-only writers
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    } catch (err) {
      throw fsError(err, 'get', key);
    } finally {
      await fh?.close();
    }
  }

  async head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined> {
    this.checkKey(key, 'head');
    throwIfAborted(options?.signal);
    try {
      const st = await statObject(this.pathOf(key));
      return st === undefined ? undefined : { key, size: Number(st.size), etag: etagOf(st) };
    } catch (err) {
      throw fsError(err, 'head', key);
    }
  }

  async delete(key: string, options?: ReadOptions): Promise<void> {
    this.checkKey(key, 'delete');
    throwIfAborted(options?.signal);
    await this.withKeyLock(key, () => this.remove(key));
  }

  async deleteMany(keys: readonly string[], options?: ReadOptions): Promise<void> {
    for (const key of keys) this.checkKey(key, 'deleteMany');
    for (const key of keys) {
      throwIfAborted(options?.signal);
      await this.withKeyLock(key, () => this.remove(key, 'deleteMany'));
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<ListPage> {
    const limit = pageLimit(options?.limit, prefix);
    throwIfAborted(options?.signal);
    const found: ObjectInfo[] = [];
    try {
      // One more than the page, to know whether another page follows.
      await this.walk('', prefix, options?.cursor, limit + 1, found);
    } catch (err) {
      throw fsError(err, 'list', prefix);
    }
    const objects = found.slice(0, limit);
    const last = objects[objects.length - 1];
    return found.length > limit && last !== undefined ? { objects, cursor: last.key } : { objects };
  }

  async close(): Promise<void> {}

  /**
   * Visits `<root>/<dirKey>` in key order. A directory `d` holds exactly the keys that
   * start with `d/`, so it sorts as `d/` among its siblings and is skipped whole when no
   * key in it can match the prefix or follow the cursor.
   */
  private async walk(dirKey: string, prefix: string, cursor: string | undefined, want: number, out: ObjectInfo[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(path.join(this.root, dirKey), { withFileTypes: true });
    } catch (err) {
      if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR') return;
      throw err;
    }
    const items = entries
      .filter((e) => !e.name.startsWith(TEMP_PREFIX) && (e.isFile() || e.isDirectory()))
      .map((e) => ({ key: dirKey + e.name + (e.isDirectory() ? '/' : ''), dir: e.isDirectory() }))
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const item of items) {
      if (out.length >= want) return;
      if (item.dir) {
        if (!item.key.startsWith(prefix) && !prefix.startsWith(item.key)) continue;
        if (cursor !== undefined && compareKeys(item.key, cursor) <= 0 && !cursor.startsWith(item.key)) continue;
        await this.walk(item.key, prefix, cursor, want, out);
      } else {
        if (!item.key.startsWith(prefix)) continue;
        if (cursor !== undefined && compareKeys(item.key, cursor) <= 0) continue;
        const st = await statObject(path.join(this.root, item.key));
        if (st !== undefined) out.push({ key: item.key, size: Number(st.size), etag: etagOf(st), lastModifiedMs: Number(st.mtimeMs) });
      }
    }
  }

  private async remove(key: string, operation = 'delete'): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (err) {
      const code = errno(err);
      // Missing, or a "directory" of other keys (not an object): nothing to delete.
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
      throw fsError(err, operation, key);
    }
    await this.pruneEmptyDirs(path.dirname(this.pathOf(key)));
  }

  /** Removes directories left empty by a delete, up to the root, so they do not pile up. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (dir !== this.root && dir.startsWith(this.root + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or gone): stop
      }
      dir = path.dirname(dir);
    }
  }

  /** Writes the body to a new temporary file in `dir`, fsynced; returns its name and stat. */
  private async writeTemp(key: string, dir: string, body: Body): Promise<{ temp: string; info: BigIntStats }> {
    for (let attempt = 1; ; attempt++) {
      await this.ensureDir(dir, key);
      // Unique across processes sharing the root, so from the OS's randomness rather than
      // an injected (possibly equally seeded) Random; O_EXCL refuses to clobber regardless.
      const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${++this.tempSeq}-${randomBytes(4).toString('hex')}`);
      let fh: FileHandle;
      try {
        fh = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      } catch (err) {
        // A concurrent delete pruned the directory between mkdir and open: make it again.
        if (errno(err) === 'ENOENT' && attempt < MKDIR_ATTEMPTS) continue;
        throw fsError(err, 'put', key);
      }
      try {
        await writeAll(fh, bodyChunks(body), bodyLength(body), SYNC_EVERY_BYTES);
        await fh.sync();
        return { temp, info: await fh.stat({ bigint: true }) };
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        throw fsError(err, 'put', key);
      } finally {
        await fh.close();
      }
    }
  }

  /** mkdir -p, fsyncing each new directory into its parent so the path survives a crash. */
  private async ensureDir(dir: string, key: string): Promise<void> {
    let first: string | undefined;
    try {
      first = await mkdir(dir, { recursive: true });
    } catch (err) {
      const code = errno(err);
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new ObjectStoreError('invalid_argument', 'put', key, 'a parent of this key is an object (the file store keeps keys as paths)', { cause: err });
      }
      throw fsError(err, 'put', key);
    }
    if (first === undefined) return;
    const created: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      created.push(d);
      if (d === first || d === this.root) break;
    }
    for (const d of created.reverse()) {
      await fsyncDir(path.dirname(d)).catch((err: unknown) => {
        // Pruned by a concurrent delete: the open that follows fails and put starts over.
        if (errno(err) !== 'ENOENT') throw fsError(err, 'put', key);
      });
    }
  }

  private withKeyLock<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(task);
    const done = run.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, done);
    void done.then(() => {
      if (this.locks.get(key) === done) this.locks.delete(key);
    });
    return run;
  }

  private checkKey(key: string, operation: string): void {
    checkKey(key, operation);
    if (key.split('/').some((s) => s.startsWith(TEMP_PREFIX))) {
      throw new ObjectStoreError('invalid_argument', operation, key, `invalid key: segments starting with ${TEMP_PREFIX} are reserved by the file store`);
    }
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...key.split('/'));
  }
}
