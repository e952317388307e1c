// Runs a document's command blocks as a reader would in a terminal: in order, in bash,
// from the top of a checkout, against real processes. Each document gets:
//  - a sandbox: a temporary directory holding a symlink to every top-level entry of the
//    repository except data/, so relative paths in the docs (config/dev.yaml,
//    test/peers/...) work while what the commands write there (./data, ./cluster-data)
//    stays out of the working tree and starts empty;
//  - a terminal's state: exported variables and the working directory carry over from one
//    block to the next (a block that does `export PATH=...` or `cd` affects the later ones);
//  - the environment the test runs in, without STRATUS_* variables (they would change
//    what the documented commands do) and without the test runner's own variables.
// Each block runs in its own process group with a time limit; a background block runs on
// until stopped with SIGINT to its group — what Ctrl-C in its terminal does — and must
// then stop within a limit, leaving no process of its group behind.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocBlock } from './markdown-blocks.ts';

export const LIMITS = {
  /** A block that is not a background block must exit within this. */
  blockMs: 90_000,
  /** A background block's URLs must all answer 200 within this. */
  readyMs: 90_000,
  /** After Ctrl-C, a background block's processes must all be gone within this. */
  stopMs: 60_000,
  /** Output kept per block for failure messages. */
  outputChars: 64_000,
} as const;

/** Entries of the repository the sandbox does not link: what the docs' commands create. */
const NOT_LINKED = new Set(['data']);

/** The runner's own variables, not a reader's. */
const RUNNER_VARIABLE = /^(STRATUS_|VITEST|__VITEST|TINYPOOL)|^(NODE_ENV|TEST)$/;

export interface BlockRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

interface Background {
  readonly block: DocBlock;
  readonly readyUrls: readonly string[];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly output: () => string;
}

export class DocShell {
  /** The sandbox: the working directory the first block starts in. */
  readonly sandbox: string;
  private readonly root: string;
  private readonly state: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly backgrounds = new Map<DocBlock, Background>();

  constructor(repo: string, extraPath: readonly string[]) {
    this.root = mkdtempSync(join(tmpdir(), 'stratus-doc-test-'));
    this.sandbox = join(this.root, 'checkout');
    this.state = join(this.root, 'state');
    mkdirSync(this.sandbox);
    mkdirSync(this.state);
    mkdirSync(join(this.root, 'blocks'));
    for (const entry of readdirSync(repo)) if (!NOT_LINKED.has(entry)) symlinkSync(join(repo, entry), join(this.sandbox, entry));
    writeFileSync(join(this.state, 'cwd'), this.sandbox);
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!RUNNER_VARIABLE.test(k)) env[k] = v;
    env.PATH = [...extraPath, process.env.PATH ?? ''].join(':');
    this.env = env;
  }

  /** The script a block runs as: the terminal's state in, the block, the state out (only for foreground blocks). */
  private script(block: DocBlock, keepState: boolean): string {
    const file = join(this.root, 'blocks', `${block.file.replace(/[^\w.-]/g, '_')}-${block.line}.sh`);
    writeFileSync(file, `${block.code}\n`);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const state = q(this.state);
    return [
      `cd "$(cat ${state}/cwd)" || exit 97`,
      `[ -f ${state}/env ] && . ${state}/env`,
      // Only plain exported variables: bash's own (SHELLOPTS, ...) are read-only.
      keepState
        ? `trap 'export -p | grep -E "^declare -x [A-Za-z_][A-Za-z0-9_]*(=|\\$)" | grep -vE "^declare -x (PWD|OLDPWD|SHLVL|_)(=|\\$)" > ${state}/env.new; mv ${state}/env.new ${state}/env; pwd > ${state}/cwd' EXIT`
        : ':',
      'set -eo pipefail',
      `. ${q(file)}`,
    ].join('\n');
  }

  private spawnBlock(block: DocBlock, keepState: boolean): { child: ChildProcess; output: () => string } {
    const child = spawn('bash', ['--noprofile', '--norc', '-c', this.script(block, keepState)], { cwd: this.sandbox, env: this.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const add = (d: Buffer) => {
      out += d.toString();
      if (out.length > 2 * LIMITS.outputChars) out = out.slice(-LIMITS.outputChars);
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    return { child, output: () => out.slice(-LIMITS.outputChars) };
  }

  /** Runs a block to its end (or its time limit, then kills its process group). */
  async run(block: DocBlock): Promise<BlockRun> {
    const started = Date.now();
    const { child, output } = this.spawnBlock(block, true);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, LIMITS.blockMs);
    const { code, signal } = await exitOf(child);
    clearTimeout(timer);
    // Whatever the block left running in its group (a `cmd &` it did not wait for) goes with it.
    killGroup(child, 'SIGKILL');
    return { code, signal, output: output(), ms: Date.now() - started, timedOut };
  }

  /** Starts a background block and waits until every URL answers 200; throws with its output otherwise. */
  async start(block: DocBlock, readyUrls: readonly string[]): Promise<number> {
    for (const url of readyUrls) {
      if ((await status(url)) !== undefined) {
        throw new Error(`${url} answers before ${block.file}:${block.line} started: another process holds the port the docs use (a \`npm start\` of yours?); stop it and run again`);
      }
    }
    const started = Date.now();
    const { child, output } = this.spawnBlock(block, false);
    const exited = exitOf(child);
    this.backgrounds.set(block, { block, readyUrls, child, exited, output });
    let gone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void exited.then((e) => (gone = e));
    while (Date.now() - started < LIMITS.readyMs) {
      if (gone !== undefined) throw new Error(`exited (${gone.code ?? gone.signal}) before it was ready:\n${output()}`);
      const answers = await Promise.all(readyUrls.map(status));
      if (answers.every((s) => s === 200)) return Date.now() - started;
      await sleep(200);
    }
    throw new Error(`not ready within ${LIMITS.readyMs / 1000} s (${readyUrls.join(', ')}):\n${output()}`);
  }

  /** Ctrl-C to a background block; resolves with how long its processes took to be gone. */
  async stop(block: DocBlock): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; output: string }> {
    const bg = this.backgrounds.get(block);
    if (bg === undefined) throw new Error(`${block.file}:${block.line} was not started`);
    this.backgrounds.delete(block);
    const early = await Promise.race([bg.exited, sleep(0).then(() => undefined)]);
    if (early !== undefined) throw new Error(`had exited (${early.code ?? early.signal}) before the end of its section:\n${bg.output()}`);
    const started = Date.now();
    killGroup(bg.child, 'SIGINT');
    const exit = await Promise.race([bg.exited, sleep(LIMITS.stopMs).then(() => undefined)]);
    while (exit !== undefined && groupAlive(bg.child) && Date.now() - started < LIMITS.stopMs) await sleep(100);
    if (exit === undefined || groupAlive(bg.child)) {
      killGroup(bg.child, 'SIGKILL');
      throw new Error(`still running ${LIMITS.stopMs / 1000} s after Ctrl-C (killed):\n${bg.output()}`);
    }
    // Processes it started in groups of their own (npm run cluster's supervisor) are not in
    // its group: that they are gone shows in its URLs no longer answering.
    const answering = async () => (await Promise.all(bg.readyUrls.map(async (u) => ((await status(u)) !== undefined ? u : undefined)))).filter((u) => u !== undefined);
    let left = await answering();
    while (left.length > 0 && Date.now() - started < LIMITS.stopMs) {
      await sleep(200);
      left = await answering();
    }
    if (left.length > 0) throw new Error(`its processes exited, but ${left.join(', ')} still answer ${LIMITS.stopMs / 1000} s after Ctrl-C:\n${bg.output()}`);
    return { ms: Date.now() - started, ...exit, output: bg.output() };
  }

  /** Kills whatever still runs and removes the sandbox. */
  close(): void {
    for (const bg of this.backgrounds.values()) killGroup(bg.child, 'SIGKILL');
    this.backgrounds.clear();
    rmSync(this.root, { recursive: true, force: true }); // removes the symlinks, not what they point to
  }
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

/** The HTTP status of a GET, or undefined when nothing answers. */
async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
