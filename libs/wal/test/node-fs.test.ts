// nodeFileSystem against a real temp directory: the adapter's semantics match the
// interface (open modes, positioned writev/read, truncate, rename, directory fsync), and
// the log runs on it end to end.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, nodeFileSystem as fs, openWal } from '@stratus/wal';
import { collect, payload } from './support/helpers.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-wal-fs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('nodeFileSystem', () => {
  it('implements the FileSystem interface on node:fs', async () => {
    const sub = join(dir, 'a', 'b');
    await fs.mkdir(sub);
    await fs.mkdir(sub); // idempotent
    const path = join(sub, 'f');
    const file = await fs.open(path, 'create');
    expect(await file.writev([Buffer.from('hello '), Buffer.from('world')], 0)).toBe(11);
    expect(await file.writev([Buffer.from('W')], 6)).toBe(1);
    await file.datasync();
    expect(await file.size()).toBe(11);
    const buf = Buffer.alloc(20);
    expect(await file.read(buf, 2, 5, 6)).toBe(5);
    expect(buf.subarray(2, 7).toString()).toBe('World');
    expect(await file.read(buf, 0, 5, 11)).toBe(0);
    await file.truncate(5);
    expect((await fs.stat(path)).sizeBytes).toBe(5);
    await file.close();

    expect(errorCode(await fs.open(path, 'create').catch((e: unknown) => e))).toBe('EEXIST');
    expect(errorCode(await fs.open(join(sub, 'missing'), 'read').catch((e: unknown) => e))).toBe('ENOENT');
    const again = await fs.open(path, 'overwrite');
    expect(await again.size()).toBe(0);
    await again.close();

    await fs.rename(path, join(sub, 'g'));
    await fs.syncDir(sub);
    expect(await fs.readdir(sub)).toEqual(['g']);
    await fs.unlink(join(sub, 'g'));
    await fs.syncDir(sub);
    expect(await fs.readdir(sub)).toEqual([]);
  });

  it('runs the log end to end with rolling, trim and reopen', async () => {
    const walDir = join(dir, 'wal');
    const { wal } = await openWal({ dir: walDir, segmentBytes: 16 * 1024 });
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => wal.append(payload(i, 500))));
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i));
    await wal.trim(100);
    await wal.close();
    const { wal: reopened, recovery } = await openWal({ dir: walDir, segmentBytes: 16 * 1024 });
    expect(recovery).toMatchObject({ firstSeq: 100, nextSeq: 200, records: 100, truncatedBytes: 0 });
    const records = await collect(reopened.replay());
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
    for (const r of records) expect(r.data.equals(payload(r.seq, 500))).toBe(true);
    await reopened.close();
  });
});
