// Lays out on disk the files an image's stages would hold, from the Dockerfile's own COPY
// and RUN lines, for the image test (no Docker engine here): each stage gets a directory
// standing for its root filesystem; COPY takes files from the build context (the
// repository less what .dockerignore leaves out) or from an earlier stage's directory;
// RUN is carried out only where the test knows what it does — `npm ci` in a build stage.
// The final stage's RUN lines install system packages and add the user: the test runs
// with the host's Debian tini instead and runs the process as the image's uid.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CopyInstruction, Stage } from './dockerfile.ts';
import { parseCopy, splitOptions } from './dockerfile.ts';
import type { IgnoreRule } from './dockerignore.ts';
import { isExcluded } from './dockerignore.ts';

/** Files (not directories) under `source` that the build context holds, relative to the context root. */
export function contextFiles(contextRoot: string, rules: readonly IgnoreRule[], source: string): string[] {
  const start = posix.normalize(source).replace(/\/$/, '').replace(/^\.\//, '');
  if (!existsSync(join(contextRoot, start))) return [];
  const out: string[] = [];
  const walk = (relative: string): void => {
    if (statSync(join(contextRoot, relative)).isDirectory()) {
      for (const entry of readdirSync(join(contextRoot, relative)).sort()) walk(posix.join(relative, entry));
    } else if (!isExcluded(rules, relative)) {
      out.push(relative);
    }
  };
  walk(start);
  return out;
}

export interface LaidOutStage {
  readonly stage: Stage;
  /** Stands for the stage's `/`. */
  readonly root: string;
  /** The stage's WORKDIR at its end, as an image path. */
  readonly workdir: string;
  /** Image paths the stage's COPY lines wrote. */
  readonly copied: readonly string[];
}

export interface LayoutOptions {
  readonly contextRoot: string;
  readonly rules: readonly IgnoreRule[];
  /** A directory per stage is made under it. */
  readonly into: string;
  /** Environment for the RUN commands carried out (npm's cache settings). */
  readonly runEnv: NodeJS.ProcessEnv;
}

/** The destination of one copied file: COPY's rules for a file or a directory source. */
function destinationOf(copy: CopyInstruction, workdir: string, sourceIsDirectory: boolean, relativeInSource: string): string {
  const destination = posix.isAbsolute(copy.destination) ? copy.destination : posix.join(workdir, copy.destination);
  const intoDirectory = copy.destination.endsWith('/') || copy.sources.length > 1 || sourceIsDirectory;
  if (copy.sources.length > 1 && !copy.destination.endsWith('/')) throw new Error(`line ${copy.line}: COPY of several sources needs a destination ending in /`);
  return intoDirectory ? posix.join(destination, relativeInSource) : destination;
}

function copyFromContext(copy: CopyInstruction, workdir: string, root: string, options: LayoutOptions): string[] {
  const written: string[] = [];
  for (const source of copy.sources) {
    const path = join(options.contextRoot, source);
    if (!existsSync(path)) throw new Error(`line ${copy.line}: COPY ${source}: no such file in the build context`);
    const isDirectory = statSync(path).isDirectory();
    const files = contextFiles(options.contextRoot, options.rules, source);
    if (files.length === 0) throw new Error(`line ${copy.line}: COPY ${source}: .dockerignore leaves it out of the build context`);
    const base = posix.normalize(source).replace(/\/$/, '');
    for (const file of files) {
      const target = destinationOf(copy, workdir, isDirectory, isDirectory ? posix.relative(base, file) : posix.basename(file));
      mkdirSync(join(root, posix.dirname(target)), { recursive: true });
      cpSync(join(options.contextRoot, file), join(root, target));
      written.push(target);
    }
  }
  return written;
}

function copyFromStage(copy: CopyInstruction, workdir: string, root: string, from: LaidOutStage): string[] {
  return copy.sources.map((source) => {
    const absolute = posix.isAbsolute(source) ? source : posix.join(from.workdir, source);
    const path = join(from.root, absolute);
    if (!existsSync(path)) throw new Error(`line ${copy.line}: COPY --from=${copy.from} ${source}: the stage has no such path`);
    const target = destinationOf(copy, workdir, statSync(path).isDirectory(), statSync(path).isDirectory() ? '' : posix.basename(absolute));
    mkdirSync(join(root, posix.dirname(target)), { recursive: true });
    // Symbolic links stay links (npm's workspace links in node_modules are relative).
    cpSync(path, join(root, target), { recursive: true, verbatimSymlinks: true });
    return target;
  });
}

/** The one kind of RUN the test carries out: `npm ci ...` in a build stage. */
function run(args: string, line: number, cwd: string, env: NodeJS.ProcessEnv): void {
  const command = splitOptions(args).rest; // --mount=type=cache,... is BuildKit's, not the command's
  if (!/^npm ci(\s|$)/.test(command) || /[;&|`$<>]/.test(command)) throw new Error(`line ${line}: RUN ${command}: the test carries out only a plain \`npm ci ...\` in a build stage`);
  const result = spawnSync('sh', ['-c', command], { cwd, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`line ${line}: ${command} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
}

/** Lays out every stage in order; the last one is the image. */
export function layOutStages(stages: readonly Stage[], options: LayoutOptions): LaidOutStage[] {
  const done: LaidOutStage[] = [];
  stages.forEach((stage, index) => {
    const root = join(options.into, `stage-${index}${stage.name !== undefined ? `-${stage.name}` : ''}`);
    mkdirSync(root, { recursive: true });
    const final = index === stages.length - 1;
    let workdir = '/';
    const copied: string[] = [];
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'WORKDIR') {
        workdir = posix.resolve(workdir, instruction.args);
        mkdirSync(join(root, workdir), { recursive: true });
      } else if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
        if (instruction.keyword === 'ADD') throw new Error(`line ${instruction.line}: ADD is not understood by this test (use COPY)`);
        const copy = parseCopy(instruction);
        if (copy.from === undefined) {
          copied.push(...copyFromContext(copy, workdir, root, options));
        } else {
          const from = done.find((d) => d.stage.name === copy.from);
          if (from === undefined) throw new Error(`line ${copy.line}: COPY --from=${copy.from}: no earlier stage of that name`);
          copied.push(...copyFromStage(copy, workdir, root, from));
        }
      } else if (instruction.keyword === 'RUN' && !final) {
        run(instruction.args, instruction.line, join(root, workdir), options.runEnv);
      }
    }
    done.push({ stage, root, workdir, copied });
  });
  return done;
}
