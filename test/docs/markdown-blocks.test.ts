// The doc test's reading of Markdown: which blocks run, what each directive means, where a
// background block's section ends, and that a malformed directive is reported rather than
// silently ignored (a skip without a reason, a directive not on the line before a fence).

import { describe, expect, it } from 'vitest';
import { parseMarkdown, planSteps } from './markdown-blocks.ts';

const DOC = `# Title

## Start

<!-- doc-test: background, ready when http://127.0.0.1:9644/readyz http://127.0.0.1:9645/readyz -->
\`\`\`sh
npm start
\`\`\`

### A subsection: the background block still runs here

\`\`\`bash
kcat -L
\`\`\`

<!-- doc-test: expect-exit 1 -->
\`\`\`sh
false
\`\`\`

\`\`\`text
not run
\`\`\`

## Next

<!-- doc-test: skip (needs a Docker engine) -->
\`\`\`sh
docker compose up
\`\`\`

\`\`\`\`markdown
\`\`\`sh
an example inside another fence: not a block
\`\`\`
\`\`\`\`

\`\`\`js
console.log('never run')
\`\`\`
`;

describe('parseMarkdown', () => {
  const { blocks, problems } = parseMarkdown('doc.md', DOC);

  it('finds the shell blocks with their directives and lines', () => {
    expect(problems).toEqual([]);
    expect(blocks.map((b) => [b.line, b.lang, b.code, b.mode])).toEqual([
      [6, 'sh', 'npm start', { kind: 'background', readyUrls: ['http://127.0.0.1:9644/readyz', 'http://127.0.0.1:9645/readyz'] }],
      [12, 'bash', 'kcat -L', { kind: 'run', expectExit: 0 }],
      [17, 'sh', 'false', { kind: 'run', expectExit: 1 }],
      [28, 'sh', 'docker compose up', { kind: 'skip', reason: 'needs a Docker engine' }],
    ]);
  });

  it('ends a section at the next heading of the same or a higher level', () => {
    expect(blocks[0]!.sectionEnd).toBe(25); // "## Next", not "### A subsection"
    expect(blocks[3]!.sectionEnd).toBe(Infinity);
  });

  it('plans a background block to stop where its section ends', () => {
    expect(planSteps(blocks).map((s) => `${s.kind} ${s.block.line}`)).toEqual(['start 6', 'run 12', 'run 17', 'stop 6', 'skip 28']);
  });

  it('reports malformed directives with their lines', () => {
    const bad = parseMarkdown(
      'bad.md',
      [
        '<!-- doc-test: skip -->', // 1: no reason
        '```sh',
        'a',
        '```',
        '<!-- doc-test: skip (a reason) -->', // 5: a blank line before the fence
        '',
        '```sh',
        'b',
        '```',
        '<!-- doc-test: skip (text blocks are never run) -->', // 10: not a shell block
        '```text',
        'c',
        '```',
        '<!-- doc-test: run later -->', // 14: unknown
        '```sh',
        'd',
        '```',
        '<!-- doc-test: background, ready when localhost:9092 -->', // 18: not a URL
        '```sh',
        'e',
        '```',
        'Text may name `<!-- doc-test: skip (reason) -->` in code.', // 22: not a directive
        '<!-- doc-test: skip (split', // 23: not one line
        'over two lines) -->',
      ].join('\n'),
    );
    expect(bad.problems).toEqual([
      'bad.md:1: a skip needs its reason in parentheses: <!-- doc-test: skip (why) -->',
      'bad.md:5: a doc-test directive must be on the line just before a fence',
      'bad.md:10: a doc-test directive before a ```text block, which is never run (only sh, bash, shell blocks are)',
      'bad.md:14: unknown directive "run later" (known: skip (reason); background, ready when URL; expect-exit N)',
      'bad.md:18: not a URL to wait for: localhost:9092',
      'bad.md:23: a doc-test directive must be one whole line: <!-- doc-test: ... -->',
    ]);
    // A block whose directive is malformed is not run; the blank-line one runs (its directive did not apply).
    expect(bad.blocks.map((b) => `${b.line} ${b.mode.kind}`)).toEqual(['2 skip', '7 run', '15 skip', '19 skip']);
  });
});
