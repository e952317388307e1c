// The few file operations the disk tier needs, behind an interface so tests can inject
// ENOSPC, EIO and slow disks. Paths are absolute or relative to the process's cwd; the
// disk tier builds them with node:path. Only this file imports node:fs.

import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';

export interface CacheFs {
  /** Creates the directory and its parents; fine when it exists. */
  mkdir(dirPath: string): Promise<void>;
  /** Names (not paths) of the entries of a directory. */
  readdir(dirPath: string): Promise<string[]>;
  stat(filePath: string): Promise<{ readonly sizeBytes: number; readonly mtimeMs: number }>;
  readFile(filePath: string): Promise<Buffer>;
  /** Creates or truncates the file and writes the chunks back to back. */
  writeFile(filePath: string, chunks: readonly Uint8Array[]): Promise<void>;
  /** Atomically replaces `toPath` (same directory). */
  rename(fromPath: string, toPath: string): Promise<void>;
  unlink(filePath: string): Promise<void>;
}

export const nodeCacheFs: CacheFs = {
  mkdir: async (dirPath) => {
    await mkdir(dirPath, { recursive: true });
  },
  readdir: (dirPath) => readdir(dirPath),
  stat: async (filePath) => {
    const s = await stat(filePath);
    return { sizeBytes: s.size, mtimeMs: s.mtimeMs };
  },
  readFile: (filePath) => readFile(filePath),
  writeFile: (filePath, chunks) => writeFile(filePath, chunks),
  rename: (fromPath, toPath) => rename(fromPath, toPath),
  unlink: (filePath) => unlink(filePath),
};

/** Whether `err` is a "no such file" error (a file evicted while being read, say). */
export function isMissingFile(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}
