import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FollowedFiles } from '../src/index.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'followed-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Two files that load only when they hold the same number: a stand-in for a key and its certificate. */
function pair(a: string, b: string): { paths: string[]; load: () => number } {
  const pa = join(dir, 'a');
  const pb = join(dir, 'b');
  writeFileSync(pa, a);
  writeFileSync(pb, b);
  return {
    paths: [pa, pb],
    load: () => {
      const [x, y] = [readFileSync(pa, 'utf8'), readFileSync(pb, 'utf8')];
      if (x !== y) throw new Error(`mismatch ${x} ${y}`);
      return Number(x);
    },
  };
}

describe('FollowedFiles', () => {
  it('loads at once, and throws what the load throws', () => {
    const ok = pair('1', '1');
    const f = new FollowedFiles(ok.paths, ok.load, { intervalMs: 0 });
    expect(f.value).toBe(1);
    const bad = pair('1', '2');
    expect(() => new FollowedFiles(bad.paths, bad.load, { intervalMs: 0 })).toThrow('mismatch 1 2');
  });

  it('reloads on a change only; a set that does not load keeps the old value and is reported once per change', () => {
    const p = pair('1', '1');
    const reloads: number[] = [];
    const failures: string[] = [];
    const f = new FollowedFiles(p.paths, p.load, { intervalMs: 0, onReload: (v) => reloads.push(v), onReloadFailed: (e) => failures.push(e.message) });
    expect(f.check()).toBe(false);
    writeFileSync(p.paths[0]!, '22'); // half a rotation: the other file is still the old one
    expect(f.check()).toBe(false);
    expect(f.check()).toBe(false);
    expect(f.value).toBe(1);
    expect(failures).toEqual(['mismatch 22 1']);
    writeFileSync(p.paths[1]!, '2'); // still a mismatch, but a new change: reported again
    expect(f.check()).toBe(false);
    expect(failures).toEqual(['mismatch 22 1', 'mismatch 22 2']);
    writeFileSync(p.paths[1]!, '22');
    expect(f.check()).toBe(true);
    expect(f.value).toBe(22);
    expect(reloads).toEqual([22]);
    expect(f.check()).toBe(false);
  });

  it('a file gone is reported once and the old value stays; back again, it loads', () => {
    const p = pair('5', '5');
    const failures: string[] = [];
    const f = new FollowedFiles(p.paths, p.load, { intervalMs: 0, onReloadFailed: (e) => failures.push(e.message) });
    unlinkSync(p.paths[1]!);
    expect(f.check()).toBe(false);
    expect(f.check()).toBe(false);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/ENOENT/);
    expect(f.value).toBe(5);
    writeFileSync(p.paths[1]!, '5');
    expect(f.check()).toBe(true);
    expect(f.value).toBe(5);
  });

  it('sees a symlink swap of the directory the files are read through (a mounted Secret), files of the same size', () => {
    const v1 = join(dir, 'v1');
    const v2 = join(dir, 'v2');
    for (const [d, n] of [[v1, '7'], [v2, '8']] as const) {
      mkdirSync(d);
      writeFileSync(join(d, 'x'), n);
    }
    const current = join(dir, 'current');
    symlinkSync(v1, current);
    const path = join(current, 'x');
    const f = new FollowedFiles([path], () => Number(readFileSync(path, 'utf8')), { intervalMs: 0 });
    expect(f.value).toBe(7);
    symlinkSync(v2, join(dir, 'next'));
    renameSync(join(dir, 'next'), current);
    expect(f.check()).toBe(true);
    expect(f.value).toBe(8);
  });

  it('polls every intervalMs', async () => {
    const p = pair('1', '1');
    const reloaded = new Promise<number>((resolve) => {
      const f = new FollowedFiles(p.paths, p.load, {
        intervalMs: 20,
        onReload: (v) => {
          f.close();
          resolve(v);
        },
      });
    });
    writeFileSync(p.paths[0]!, '3');
    writeFileSync(p.paths[1]!, '3');
    expect(await reloaded).toBe(3);
  });
});
