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
// then stop within a limit, leaving no process behind: neither in its group nor among the
// processes it started in sessions of their own (process-tree.ts), and its URLs silent.
// Whatever is left then is killed — the test fails, naming it — so the next block starts
// on free ports instead of failing after it.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocBlock } from './markdown-blocks.ts';
import { SessionTracker } from './process-tree.ts';

export const LIMITS = {
  /** A block that is not a background block must exit within this. */
  blockMs: 90_000,
  /** A background block's URLs must all answer 200 within this. */
  readyMs: 90_000,
  /** After Ctrl-C, a background block's processes must all be gone within this. */
  stopMs: 60_000,
  /** Output kept per block for failure messages. */
  outputChars: 64_000,
  /** How often a background block's process tree is looked at while it runs. */
  sampleMs: 1_000,
  /** After the stop failed and what was left got SIGKILL: time for it to be gone and its ports free. */
  cleanupMs: 10_000,
} as const;

export type Limits = { readonly [K in keyof typeof LIMITS]: number };

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
  /** The sessions its processes spread over (npm run cluster's supervisor has one of its own). */
  readonly tree: SessionTracker;
  readonly sampler: NodeJS.Timeout;
}

export class DocShell {
  /** The sandbox: the working directory the first block starts in. */
  readonly sandbox: string;
  private readonly root: string;
  private readonly state: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly backgrounds = new Map<DocBlock, Background>();
  private readonly limits: Limits;

  /** `limits`: shorter ones for the doc shell's own tests. */
  constructor(repo: string, extraPath: readonly string[], limits: Partial<Limits> = {}) {
    this.limits = { ...LIMITS, ...limits };
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
      if (out.length > 2 * this.limits.outputChars) out = out.slice(-this.limits.outputChars);
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    return { child, output: () => out.slice(-this.limits.outputChars) };
  }

  /** Runs a block to its end (or its time limit, then kills its process group). */
  async run(block: DocBlock): Promise<BlockRun> {
    const started = Date.now();
    const { child, output } = this.spawnBlock(block, true);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, this.limits.blockMs);
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
    const tree = new SessionTracker(child.pid!);
    const sampler = setInterval(() => tree.sample(), this.limits.sampleMs);
    sampler.unref();
    this.backgrounds.set(block, { block, readyUrls, child, exited, output, tree, sampler });
    let gone: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    void exited.then((e) => (gone = e));
    while (Date.now() - started < this.limits.readyMs) {
      if (gone !== undefined) throw new Error(`exited (${gone.code ?? gone.signal}) before it was ready:\n${output()}`);
      const answers = await Promise.all(readyUrls.map(status));
      if (answers.every((s) => s === 200)) {
        tree.sample();
        return Date.now() - started;
      }
      await sleep(200);
    }
    throw new Error(`not ready within ${this.limits.readyMs / 1000} s (${readyUrls.join(', ')}):\n${output()}`);
  }

  /**
   * Ctrl-C to a background block; resolves with how long its processes took to be gone and
   * its URLs to fall silent. Throws when that took longer than the stop limit, after killing
   * what was left and waiting for its ports, so that the blocks after it find them free.
   */
  async stop(block: DocBlock): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null; output: string }> {
    const bg = this.backgrounds.get(block);
    if (bg === undefined) throw new Error(`${block.file}:${block.line} was not started`);
    this.backgrounds.delete(block);
    const early = await Promise.race([bg.exited, sleep(0).then(() => undefined)]);
    if (early !== undefined) {
      this.kill(bg);
      throw new Error(`had exited (${early.code ?? early.signal}) before the end of its section:\n${bg.output()}`);
    }
    bg.tree.sample(); // the tree as Ctrl-C finds it
    clearInterval(bg.sampler);
    const started = Date.now();
    const late = () => Date.now() - started >= this.limits.stopMs;
    killGroup(bg.child, 'SIGINT');
    // Gone: its group (the shell and what runs in the terminal's foreground) and every
    // process in the sessions its tree spread over (npm run cluster's supervisor and the
    // cluster's processes, in a session of their own).
    while ((groupAlive(bg.child) || bg.tree.alive().length > 0) && !late()) await sleep(100);
    const left = bg.tree.alive();
    if (groupAlive(bg.child) || left.length > 0) {
      const killed = this.kill(bg);
      await this.silence(bg.readyUrls, this.limits.cleanupMs);
      throw new Error(`still running ${this.limits.stopMs / 1000} s after Ctrl-C (killed):\n${describe(killed.length > 0 ? killed : left)}\n--- output ---\n${bg.output()}`);
    }
    const exit = await bg.exited; // its group is gone: the shell has exited
    const answering = await this.silence(bg.readyUrls, Math.max(0, this.limits.stopMs - (Date.now() - started)));
    if (answering.length > 0) {
      throw new Error(`its processes are gone, but ${answering.join(', ')} still answer ${this.limits.stopMs / 1000} s after Ctrl-C: a process that is not the block's holds those ports\n--- output ---\n${bg.output()}`);
    }
    return { ms: Date.now() - started, ...exit, output: bg.output() };
  }

  /** SIGKILL to a background block's group and every process of its sessions; returns those. */
  private kill(bg: Background): ReturnType<SessionTracker['killAll']> {
    clearInterval(bg.sampler);
    killGroup(bg.child, 'SIGKILL');
    return bg.tree.killAll();
  }

  /** Waits up to `ms` for none of `urls` to answer; returns those that still do. */
  private async silence(urls: readonly string[], ms: number): Promise<string[]> {
    const deadline = Date.now() + ms;
    const answering = async () => (await Promise.all(urls.map(async (u) => ((await status(u)) !== undefined ? u : undefined)))).filter((u) => u !== undefined);
    let left = await answering();
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(200);
      left = await answering();
    }
    return left;
  }

  /** Kills whatever still runs and removes the sandbox. */
  close(): void {
    for (const bg of this.backgrounds.values()) this.kill(bg);
    this.backgrounds.clear();
    rmSync(this.root, { recursive: true, force: true }); // removes the symlinks, not what they point to
  }
}

function describe(processes: readonly { pid: number; command: string }[]): string {
  // Long command lines keep both ends: the program, and its arguments (main.ts broker).
  return processes.map((p) => `  ${p.pid} ${p.command.length > 200 ? `${p.command.slice(0, 100)} ... ${p.command.slice(-95)}` : p.command}`).join('\n');
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
