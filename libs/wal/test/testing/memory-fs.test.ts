// The MemoryFileSystem model itself: page cache vs durable view, directory entries,
// crash fates, fsyncgate behaviour and every kind of injected fault. Other tests (and
// the storage simulation) rely on these semantics, so they are pinned down here.

import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@stratus/runtime';
import { errorCode } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';

const bytes = (s: string): Buffer => Buffer.from(s);

async function readAll(fs: MemoryFileSystem, path: string): Promise<string> {
  const file = await fs.open(path, 'read');
  const buf = Buffer.alloc(await file.size());
  await file.read(buf, 0, buf.length, 0);
  await file.close();
  return buf.toString();
}

describe('MemoryFileSystem', () => {
  it('reads see writes at once; only synced data and entries survive a crash', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const f = await fs.open('/d/a', 'create');
    await f.writev([bytes('hello'), bytes(' world')], 0);
    expect(await readAll(fs, '/d/a')).toBe('hello world');
    await f.datasync();
    await f.writev([bytes('!!')], 11);
    expect(fs.durableContent('/d/a').toString()).toBe('hello world');
    expect(fs.unsyncedBytes()).toBe(2);

    // The entry was never synced: the file is gone, data and all.
    expect(fs.crash().list('/d')).toEqual([]);
  });

  it('keeps a synced file whose directory was synced, without its unsynced tail', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const f = await fs.open('/d/a', 'create');
    await fs.syncDir('/d');
    await f.writev([bytes('durable')], 0);
    await f.datasync();
    await f.writev([bytes('-lost')], 7);
    const after = fs.crash();
    expect(after.readFile('/d/a').toString()).toBe('durable');
    // The old instance is dead: any call on it or its handles fails.
    await expect(f.size()).rejects.toMatchObject({ code: 'ECRASHED' });
    await expect(fs.readdir('/d')).rejects.toMatchObject({ code: 'ECRASHED' });
  });

  it("'prefix' keeps an in-order prefix of unsynced writes, possibly torn; 'any' keeps any subset", async () => {
    const outcomes = { prefix: new Set<string>(), any: new Set<string>() };
    for (const fate of ['prefix', 'any'] as const) {
      for (let seed = 0; seed < 200; seed++) {
        const fs = new MemoryFileSystem({ random: new SeededRandom(seed) });
        await fs.mkdir('/d');
        const f = await fs.open('/d/a', 'create');
        await fs.syncDir('/d');
        for (const part of ['aaaa', 'bbbb', 'cccc']) await f.writev([bytes(part)], (await f.size()));
        const content = fs.crash({ keepUnsynced: fate }).readFile('/d/a').toString('latin1').replaceAll('\0', '.');
        outcomes[fate].add(content);
        if (fate === 'prefix') expect('aaaabbbbcccc'.startsWith(content)).toBe(true);
      }
    }
    expect(outcomes.prefix.size).toBeGreaterThan(8); // torn at many points
    expect([...outcomes.any].some((c) => c.includes('.'))).toBe(true); // a hole: later write kept, earlier lost
  });

  it('the same seed gives the same crash', async () => {
    const run = async (): Promise<string> => {
      const fs = new MemoryFileSystem({ random: new SeededRandom(42) });
      await fs.mkdir('/d');
      const f = await fs.open('/d/a', 'create');
      await fs.syncDir('/d');
      for (let i = 0; i < 10; i++) await f.writev([Buffer.alloc(10, i)], i * 10);
      return fs.crash({ keepUnsynced: 'any' }).readFile('/d/a').toString('hex');
    };
    expect(await run()).toBe(await run());
  });

  it('rename is atomic and durable with the directory sync', async () => {
    const prepare = async (): Promise<MemoryFileSystem> => {
      const fs = new MemoryFileSystem();
      fs.writeFileDurably('/d/final', bytes('old'));
      const f = await fs.open('/d/tmp', 'create');
      await f.writev([bytes('new')], 0);
      await f.datasync();
      await f.close();
      await fs.rename('/d/tmp', '/d/final');
      expect(fs.list('/d')).toEqual(['final']);
      return fs;
    };
    const seen = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const after = (await prepare()).crash({ keepUnsynced: 'prefix', random: new SeededRandom(seed) });
      const names = after.list('/d');
      // The old file, or the new one under its final name; the temp name only while the
      // rename is lost; never the old content gone without the new one in its place.
      expect([['final'], ['final', 'tmp']]).toContainEqual(names);
      seen.add(`${names.join('+')}=${after.readFile('/d/final').toString()}`);
    }
    expect(seen).toEqual(new Set(['final=old', 'final+tmp=old', 'final=new']));
    const fs = await prepare();
    await fs.syncDir('/d');
    expect(fs.crash().readFile('/d/final').toString()).toBe('new');
  });

  it('unlink is durable only after syncDir', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', bytes('x'));
    await fs.unlink('/d/a');
    expect(fs.list('/d')).toEqual([]);
    const afterCrash = fs.crash();
    expect(afterCrash.list('/d')).toEqual(['a']);
    await afterCrash.unlink('/d/a');
    await afterCrash.syncDir('/d');
    expect(afterCrash.crash().list('/d')).toEqual([]);
  });

  it('a failed datasync drops the unsynced data from the durable view for good (fsyncgate)', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', bytes(''));
    const f = await fs.open('/d/a', 'readwrite');
    await f.writev([bytes('lost')], 0);
    fs.inject({ op: 'datasync' });
    await expect(f.datasync()).rejects.toMatchObject({ code: 'EIO' });
    await f.datasync(); // "succeeds" ...
    expect(fs.readFile('/d/a').toString()).toBe('lost'); // the page cache still shows it
    expect(fs.crash().readFile('/d/a').toString()).toBe(''); // ... but it never reached the disk
  });

  it('fault rules: skip, times, path, error code, keepBytes, returnShort, hang', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', bytes(''));
    fs.writeFileDurably('/d/b', bytes(''));
    const a = await fs.open('/d/a', 'readwrite');
    const b = await fs.open('/d/b', 'readwrite');
    fs.inject({ op: 'write', path: '/d/a', skip: 1, times: 2, error: 'EROFS' });
    expect(await a.writev([bytes('1')], 0)).toBe(1);
    await expect(a.writev([bytes('2')], 1)).rejects.toMatchObject({ code: 'EROFS' });
    expect(await b.writev([bytes('b')], 0)).toBe(1); // other path unaffected
    await expect(a.writev([bytes('3')], 1)).rejects.toMatchObject({ code: 'EROFS' });
    expect(await a.writev([bytes('4')], 1)).toBe(1);

    fs.inject({ op: 'write', keepBytes: 3 });
    await expect(a.writev([bytes('abcdef')], 0)).rejects.toMatchObject({ code: 'EIO' });
    expect(fs.readFile('/d/a').toString()).toBe('abc'); // torn: 3 bytes landed over "14"
    fs.inject({ op: 'write', keepBytes: 2, returnShort: true });
    expect(await a.writev([bytes('xyz')], 0)).toBe(2);

    fs.inject({ op: 'stat', hang: true });
    let settled = false;
    void fs.stat('/d/a').finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect(errorCode(await fs.open('/d/zz', 'read').catch((e: unknown) => e))).toBe('ENOENT');
  });

  it('noSpaceAfter: the write crossing the limit lands partly, then ENOSPC', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', bytes(''));
    const f = await fs.open('/d/a', 'readwrite');
    fs.noSpaceAfter(5);
    expect(await f.writev([bytes('abc')], 0)).toBe(3);
    await expect(f.writev([bytes('defg')], 3)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(fs.readFile('/d/a').toString()).toBe('abcde');
    await expect(f.writev([bytes('h')], 5)).rejects.toMatchObject({ code: 'ENOSPC' });
  });

  it('flipBit corrupts what one read returns, not what is stored', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', Buffer.alloc(64, 0));
    fs.inject({ op: 'read', flipBit: true });
    const f = await fs.open('/d/a', 'read');
    const buf = Buffer.alloc(64);
    await f.read(buf, 0, 64, 0);
    expect(buf.reduce((n, x) => n + (x === 0 ? 0 : 1), 0)).toBe(1);
    await f.read(buf.fill(0), 0, 64, 0);
    expect(buf.every((x) => x === 0)).toBe(true);
  });

  it('freezeAfter holds every call from the given point on', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const frozen = fs.freezeAfter(2);
    await fs.readdir('/d');
    await fs.readdir('/d');
    let third = false;
    void fs.readdir('/d').then(() => (third = true));
    await frozen;
    expect(fs.frozen).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
  });

  it('open modes: create refuses an existing file, overwrite truncates, read is read-only', async () => {
    const fs = new MemoryFileSystem();
    fs.writeFileDurably('/d/a', bytes('content'));
    await expect(fs.open('/d/a', 'create')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(fs.open('/d/missing', 'readwrite')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.open('/nodir/x', 'create')).rejects.toMatchObject({ code: 'ENOENT' });
    const r = await fs.open('/d/a', 'read');
    await expect(r.writev([bytes('x')], 0)).rejects.toMatchObject({ code: 'EBADF' });
    await (await fs.open('/d/a', 'overwrite')).close();
    expect(fs.readFile('/d/a').length).toBe(0);
    expect(fs.durableContent('/d/a').toString()).toBe('content'); // truncation not synced yet
    expect(fs.counters.opens).toBe(2);
  });
});
