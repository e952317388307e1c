// The FileSystem interface on node:fs/promises: what production uses. Kept to thin
// one-line adapters so the durability semantics are Linux's own (writev(2), fdatasync(2),
// fsync(2) on a directory descriptor), not something re-implemented here.

import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import type { FileHandle as NodeFileHandle } from 'node:fs/promises';
import type { FileHandle, FileSystem, OpenMode } from './fs.ts';

const flags: Record<OpenMode, string> = {
  read: 'r',
  readwrite: 'r+',
  create: 'wx+',
  overwrite: 'w+',
};

class NodeFile implements FileHandle {
  private readonly fh: NodeFileHandle;

  constructor(fh: NodeFileHandle) {
    this.fh = fh;
  }

  async writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<number> {
    // libuv loops over partial writes itself (and over IOV_MAX chunks), so a short count
    // here means the kernel stopped accepting data.
    const { bytesWritten } = await this.fh.writev(buffers, positionBytes);
    return bytesWritten;
  }

  async read(buffer: Uint8Array, offset: number, lengthBytes: number, positionBytes: number): Promise<number> {
    const { bytesRead } = await this.fh.read(buffer, offset, lengthBytes, positionBytes);
    return bytesRead;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  truncate(sizeBytes: number): Promise<void> {
    return this.fh.truncate(sizeBytes);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

export const nodeFileSystem: FileSystem = {
  open: async (path, mode) => new NodeFile(await open(path, flags[mode])),
  readdir: (dir) => readdir(dir),
  unlink: (path) => unlink(path),
  rename: (from, to) => rename(from, to),
  mkdir: async (dir) => {
    await mkdir(dir, { recursive: true });
  },
  // A directory's entries are made durable by fsync on a descriptor of the directory
  // itself; Linux allows opening a directory read-only for exactly this.
  syncDir: async (dir) => {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  stat: async (path) => ({ sizeBytes: (await stat(path)).size }),
};
