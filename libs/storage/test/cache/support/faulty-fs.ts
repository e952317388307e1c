// A CacheFs over the real file system that fails chosen operations: the disk tier must
// turn every such failure into a miss or a skipped copy, never a failed read.

import type { CacheFs } from '../../../src/cache/index.ts';
import { nodeCacheFs } from '../../../src/cache/index.ts';

export type FsOperation = keyof CacheFs;

/** An errno-style error, as node:fs raises them. */
export function fsError(code: string, operation: string, path: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: ${operation} '${path}'`);
  err.code = code;
  return err;
}

export class FaultyFs implements CacheFs {
  /** Returns an error to throw for this call, or undefined to let it through. */
  fault: (operation: FsOperation, path: string) => Error | undefined = () => undefined;
  readonly calls: { operation: FsOperation; path: string }[] = [];

  private check(operation: FsOperation, path: string): void {
    this.calls.push({ operation, path });
    const err = this.fault(operation, path);
    if (err !== undefined) throw err;
  }

  async mkdir(dirPath: string): Promise<void> {
    this.check('mkdir', dirPath);
    return nodeCacheFs.mkdir(dirPath);
  }
  async readdir(dirPath: string): Promise<string[]> {
    this.check('readdir', dirPath);
    return nodeCacheFs.readdir(dirPath);
  }
  async stat(filePath: string): Promise<{ sizeBytes: number; mtimeMs: number }> {
    this.check('stat', filePath);
    return nodeCacheFs.stat(filePath);
  }
  async readFile(filePath: string): Promise<Buffer> {
    this.check('readFile', filePath);
    return nodeCacheFs.readFile(filePath);
  }
  async writeFile(filePath: string, chunks: readonly Uint8Array[]): Promise<void> {
    this.check('writeFile', filePath);
    return nodeCacheFs.writeFile(filePath, chunks);
  }
  async rename(fromPath: string, toPath: string): Promise<void> {
    this.check('rename', fromPath);
    return nodeCacheFs.rename(fromPath, toPath);
  }
  async unlink(filePath: string): Promise<void> {
    this.check('unlink', filePath);
    return nodeCacheFs.unlink(filePath);
  }
}
