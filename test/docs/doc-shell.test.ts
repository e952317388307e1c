// The doc shell's stop of a background block covers the processes the block started in
// sessions of their own, as `npm run cluster` starts its supervisor: Ctrl-C reaches only
// the block's process group, and the stop is over when those processes are gone too (not
// merely when the ports fall silent); one that outlives the stop limit is killed, named
// in the failure, and its port is free for the next block. Real bash, real servers.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/stratus-process.ts';
import { DocShell } from './doc-shell.ts';
import type { DocBlock } from './markdown-blocks.ts';
import { processes } from './process-tree.ts';

const REPO = join(import.meta.dirname, '..', '..');

let shell: DocShell | undefined;
afterEach(() => shell?.close());

function background(code: string, url: string): DocBlock {
  return { file: 'doc-shell.test', line: 1, lang: 'sh', code, mode: { kind: 'background', readyUrls: [url] }, sectionEnd: Infinity };
}

/**
 * A server in a session of its own (setsid: out of reach of the block's Ctrl-C), marked
 * on its command line; `onTerm` is what it does on SIGTERM.
 */
function detachedServer(port: number, marker: string, onTerm: string): string {
  const js = `const s = require('node:http').createServer((q, r) => r.end('ok')).listen(${port}, '127.0.0.1'); process.on('SIGINT', () => {}); process.on('SIGTERM', () => { ${onTerm} });`;
  return `setsid node -e "${js}" ${marker} &`;
}

const running = (marker: string) => processes().filter((p) => p.command.includes(marker));

async function answers(url: string): Promise<boolean> {
  try {
    await (await fetch(url, { signal: AbortSignal.timeout(1000) })).text();
    return true;
  } catch {
    return false;
  }
}

describe('DocShell.stop', () => {
  it('waits for the processes of a session the block started, not only for its ports to fall silent', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const marker = `doc-shell-test-${randomUUID()}`;
    // Like npm run cluster's launcher: Ctrl-C reaches the shell, which passes SIGTERM on and
    // leaves at once; the server closes its port at once and exits a second later.
    const code = [detachedServer(port, marker, 's.close(); setTimeout(() => process.exit(0), 1000);'), `trap 'kill -TERM $!; exit 130' INT`, 'wait'].join('\n');
    shell = new DocShell(REPO, []);
    const block = background(code, url);
    await shell.start(block, [url]);
    expect(running(marker)).toHaveLength(1);
    const stopped = await shell.stop(block);
    expect(running(marker)).toEqual([]);
    expect(stopped.ms).toBeGreaterThanOrEqual(900);
    expect(await answers(url)).toBe(false);
  }, 30_000);

  it('kills what outlives the stop limit, names it, and leaves its port free', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const marker = `doc-shell-test-${randomUUID()}`;
    // The shell ends on Ctrl-C; the server, in its own session, never hears of it.
    const code = [detachedServer(port, marker, ''), 'wait'].join('\n');
    shell = new DocShell(REPO, [], { stopMs: 2_000 });
    const block = background(code, url);
    await shell.start(block, [url]);
    const pid = running(marker)[0]?.pid;
    expect(pid).toBeDefined();
    await expect(shell.stop(block)).rejects.toThrow(new RegExp(`still running 2 s after Ctrl-C \\(killed\\):\\n {2}${pid} node -e .*${marker}`));
    expect(running(marker)).toEqual([]);
    expect(await answers(url)).toBe(false);
  }, 30_000);
});
