// What only the file store has: its layout on disk, temporary files, reopening, and the
// path conflicts a file system imposes.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileObjectStore } from '../src/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stratus-file-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileObjectStore', () => {
  it('keeps objects as plain files and leaves no temporary files', async () => {
    const store = await FileObjectStore.open(dir);
    await store.put('a/b/c.obj', Buffer.from('data'));
    await store.put('a/b/c.obj', Buffer.from('data2'), { ifMatch: (await store.head('a/b/c.obj'))!.etag });
    await store.put('a/b/c.obj', Buffer.from('x'), { ifNoneMatch: true }).catch(() => undefined);
    expect(await readdir(path.join(dir, 'a/b'))).toEqual(['c.obj']);
  });

  it('survives reopening with the same etags', async () => {
    const first = await FileObjectStore.open(dir);
    const info = await first.put('k/1', Buffer.from('persisted'));
    const again = await FileObjectStore.open(dir);
    expect(await again.head('k/1')).toEqual(info);
    expect((await again.get('k/1')).toString()).toBe('persisted');
  });

  it('does not list temporary files or other non-objects, and refuses reserved names', async () => {
    const store = await FileObjectStore.open(dir);
    await store.put('k/1', Buffer.from('x'));
    await writeFile(path.join(dir, 'k', '.stratus-tmp-123-1-abcd'), 'partial');
    expect((await store.list('')).objects.map((o) => o.key)).toEqual(['k/1']);
    await expect(store.put('k/.stratus-tmp-x', Buffer.from('x'))).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('cannot hold a key and a "directory" of the same name', async () => {
    const store = await FileObjectStore.open(dir);
    await store.put('a', Buffer.from('x'));
    await expect(store.put('a/b', Buffer.from('y'))).rejects.toMatchObject({ code: 'invalid_argument' });
    await store.put('c/d', Buffer.from('y'));
    await expect(store.put('c', Buffer.from('x'))).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await store.head('c')).toBeUndefined();
    await expect(store.get('c')).rejects.toMatchObject({ code: 'not_found' });
    await store.delete('c'); // a directory is not an object: nothing to delete
    expect(await store.head('c/d')).toMatchObject({ size: 1 });
  });

  it('removes directories emptied by deletes, and writes into them again', async () => {
    const store = await FileObjectStore.open(dir);
    await store.put('x/y/z', Buffer.from('1'));
    await store.delete('x/y/z');
    expect(await readdir(dir)).toEqual([]);
    await Promise.all([store.put('x/y/z', Buffer.from('2')), store.delete('x/y/other'), store.put('x/y/w', Buffer.from('3'))]);
    expect((await store.list('x/')).objects.map((o) => o.key)).toEqual(['x/y/w', 'x/y/z']);
  });

  it('serialises conditional puts of one key within the process', async () => {
    const store = await FileObjectStore.open(dir);
    const base = await store.put('cas', Buffer.from('0'));
    // Ten writers all holding the same etag: exactly one replaces it.
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put('cas', Buffer.from(String(i + 1)), { ifMatch: base.etag })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a relative root', async () => {
    await expect(FileObjectStore.open('relative/dir')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
