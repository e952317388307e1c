// Documentation that runs (issue 11 §5): every shell command block of README.md,
// config/README.md, docs/**/*.md and deploy/**/*.md is executed, in order per document,
// against real processes — `npm start` really starts, the Kafka tools really talk to it —
// so a command that stops working fails here. Blocks marked `<!-- doc-test: skip (reason) -->`
// are listed as skipped tests with their reason; the directives are in test/docs/README.md.
//
// Ports: the processes run on the ports the docs name (9092, 9644, 19092...), so what runs
// is exactly what a reader types. Before a background block starts, its ready URLs must
// not answer yet: a process of yours on those ports fails the test with that message
// rather than passing against the wrong process. (Tests elsewhere pick free ports from
// 20000-31999, test/support/stratus-process.ts; none uses the docs' ports.)
//
// Kafka's tools (kafka-topics.sh, ...) are on the shell's PATH through
// test/peers/kafka-bin.sh, which the README also tells readers to use; kcat, Redis and
// MinIO come from test/peers/provision.sh.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocShell, LIMITS } from './doc-shell.ts';
import { parseMarkdown, planSteps } from './markdown-blocks.ts';
import type { DocBlock, Step } from './markdown-blocks.ts';

const REPO = join(import.meta.dirname, '..', '..');

/** The documents whose blocks run: these files, and every .md under these directories. */
const DOC_FILES = ['README.md', 'config/README.md'];
const DOC_DIRS = ['docs', 'deploy'];

function documents(): string[] {
  const found = DOC_FILES.filter((f) => existsSync(join(REPO, f)));
  const walk = (dir: string): string[] =>
    readdirSync(join(REPO, dir))
      .sort()
      .flatMap((e) => {
        const path = join(dir, e);
        if (statSync(join(REPO, path)).isDirectory()) return walk(path);
        return e.endsWith('.md') ? [path] : [];
      });
  return [...found, ...DOC_DIRS.filter((d) => existsSync(join(REPO, d))).flatMap(walk)];
}

const docs = documents().map((file) => ({ file, ...parseMarkdown(file, readFileSync(join(REPO, file), 'utf8')) }));

function firstLine(block: DocBlock): string {
  const line = block.code.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  return line.length > 70 ? `${line.slice(0, 67)}...` : line;
}

function stepName(step: Step): string {
  const b = step.block;
  const at = `${b.file}:${b.line}`;
  switch (step.kind) {
    case 'run':
      return `${at} \`${firstLine(b)}\`${b.mode.kind === 'run' && b.mode.expectExit !== 0 ? ` exits ${b.mode.expectExit}` : ''}`;
    case 'skip':
      return `${at} \`${firstLine(b)}\` — skipped: ${b.mode.kind === 'skip' ? b.mode.reason : ''}`;
    case 'start':
      return `${at} \`${firstLine(b)}\` starts in the background, ready when ${b.mode.kind === 'background' ? b.mode.readyUrls.join(' ') : ''}`;
    case 'stop':
      return `${at} \`${firstLine(b)}\` stops on Ctrl-C at the end of its section, leaving nothing running`;
  }
}

function stepTimeout(step: Step): number {
  return (step.kind === 'start' ? LIMITS.readyMs : step.kind === 'stop' ? LIMITS.stopMs : LIMITS.blockMs) + 10_000;
}

let kafkaBin = '';
const timings: string[] = [];

beforeAll(() => {
  // kcat, Redis, MinIO (what `npm test` provisions first), then Kafka's tools under their bin/ names.
  execFileSync('bash', [join(REPO, 'test/peers/provision.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  kafkaBin = execFileSync('bash', [join(REPO, 'test/peers/kafka-bin.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}, 15 * 60_000);

afterAll(() => {
  if (timings.length > 0) console.log(`doc test:\n  ${timings.join('\n  ')}`);
});

describe('doc-test directives', () => {
  it('are well-formed in every document (a skip says why)', () => {
    expect(docs.flatMap((d) => d.problems)).toEqual([]);
  });
});

for (const doc of docs) {
  const steps = planSteps(doc.blocks);
  if (steps.length === 0) continue;

  describe(doc.file, () => {
    let shell: DocShell;
    let failed: string | undefined;
    const ready = new Set<DocBlock>();
    let started = 0;

    beforeAll(() => {
      shell = new DocShell(REPO, [kafkaBin]);
      started = Date.now();
    });
    afterAll(() => {
      shell?.close();
      timings.push(`${doc.file}: ${doc.blocks.length} blocks (${doc.blocks.filter((b) => b.mode.kind === 'skip').length} skipped) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    for (const step of steps) {
      const name = stepName(step);
      if (step.kind === 'skip') {
        it.skip(name, () => {});
        continue;
      }
      it(
        name,
        async () => {
          const at = `${step.block.file}:${step.block.line}`;
          // A stop always runs (it cleans up); anything else waits on the blocks before it.
          if (step.kind === 'stop') {
            if (!ready.has(step.block)) return;
            const stopped = await shell.stop(step.block);
            expect(stopped.ms, stopped.output).toBeLessThan(LIMITS.stopMs);
            return;
          }
          if (failed !== undefined) throw new Error(`not run: ${failed} failed before it`);
          try {
            if (step.kind === 'start') {
              if (step.block.mode.kind !== 'background') throw new Error('not a background block');
              await shell.start(step.block, step.block.mode.readyUrls);
              ready.add(step.block);
              return;
            }
            const r = await shell.run(step.block);
            const expected = step.block.mode.kind === 'run' ? step.block.mode.expectExit : 0;
            const what = r.timedOut ? `did not finish within ${LIMITS.blockMs / 1000} s` : `exited ${r.code ?? r.signal}, expected ${expected}`;
            if (r.timedOut || r.code !== expected) throw new Error(`${at} ${what}:\n${step.block.code}\n--- output ---\n${r.output}`);
          } catch (e) {
            failed = at;
            throw e;
          }
        },
        stepTimeout(step),
      );
    }
  });
}
