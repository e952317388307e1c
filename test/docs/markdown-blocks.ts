// The command blocks of a Markdown document, with the doc-test directive each carries, and
// the order the doc test runs them in (a plan of steps). Pure: no files, no processes.
//
// A fenced block in a shell language (```sh, ```bash, ```shell) runs unless the line just
// before its fence is a directive (test/docs/README.md lists them):
//   <!-- doc-test: skip (reason) -->                   not run; the reason is required
//   <!-- doc-test: background, ready when URL [URL] --> started, runs on while the following
//                                                       blocks run, until the end of its section
//   <!-- doc-test: expect-exit N -->                   run; must exit with N instead of 0
// Other blocks (```text, ```js, ```yaml, plain ```) are never run and take no directive.

/** Fence languages whose blocks are run. */
export const SHELL_LANGUAGES: readonly string[] = ['sh', 'bash', 'shell'];

export type BlockMode =
  | { readonly kind: 'run'; readonly expectExit: number }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'background'; readonly readyUrls: readonly string[] };

export interface DocBlock {
  /** The document, as named in test names (repository-relative). */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly mode: BlockMode;
  /**
   * Line of the heading that ends the block's section (the next heading of the same or a
   * higher level than the one it is under), or Infinity: the end of the document. A
   * background process is stopped there, as a reader would before going on.
   */
  readonly sectionEnd: number;
}

export interface ParsedDoc {
  readonly blocks: readonly DocBlock[];
  /** Malformed directives, each with its line: the doc test fails on any. */
  readonly problems: readonly string[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/;
const DIRECTIVE = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;
const HEADING = /^ {0,3}(#{1,6})\s/;

function parseDirective(text: string): BlockMode | string {
  const skip = /^skip\b\s*(.*)$/.exec(text);
  if (skip) {
    const reason = /^\((.*)\)$/.exec(skip[1]!)?.[1]?.trim();
    return reason ? { kind: 'skip', reason } : 'a skip needs its reason in parentheses: <!-- doc-test: skip (why) -->';
  }
  const background = /^background\s*,\s*ready when\s+(.+)$/.exec(text);
  if (background) {
    const urls = background[1]!.split(/[\s,]+/).filter((u) => u !== '' && u !== 'and');
    const bad = urls.find((u) => !/^https?:\/\/\S+$/.test(u));
    return bad === undefined ? { kind: 'background', readyUrls: urls } : `not a URL to wait for: ${bad}`;
  }
  const exit = /^expect-exit\s+(\d{1,3})$/.exec(text);
  if (exit) return { kind: 'run', expectExit: Number(exit[1]) };
  return `unknown directive "${text}" (known: skip (reason); background, ready when URL; expect-exit N)`;
}

export function parseMarkdown(file: string, text: string): ParsedDoc {
  const lines = text.split('\n');
  const problems: string[] = [];
  const found: Omit<DocBlock, 'sectionEnd'>[] = [];
  const headings: { line: number; level: number }[] = [];
  const sectionLevel: number[] = []; // per found block: level of the heading it is under (0: none)
  let pending: { line: number; text: string } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const [, marks, lang] = fence as unknown as [string, string, string];
      let end = i + 1;
      while (end < lines.length && !new RegExp(`^ {0,3}${marks[0] === '`' ? '`' : '~'}{${marks.length},}\\s*$`).test(lines[end]!)) end++;
      const directive = pending; // the line just before the fence (pending is cleared on any other line)
      pending = undefined;
      if (SHELL_LANGUAGES.includes(lang)) {
        const parsed = directive === undefined ? { kind: 'run' as const, expectExit: 0 } : parseDirective(directive.text);
        if (typeof parsed === 'string') problems.push(`${file}:${directive!.line}: ${parsed}`);
        const mode: BlockMode = typeof parsed === 'string' ? { kind: 'skip', reason: `malformed directive: ${parsed}` } : parsed;
        found.push({ file, line: i + 1, lang, code: lines.slice(i + 1, end).join('\n'), mode });
        sectionLevel.push(headings.at(-1)?.level ?? 0);
      } else if (directive !== undefined) {
        problems.push(`${file}:${directive.line}: a doc-test directive before a \`\`\`${lang || '(plain)'} block, which is never run (only ${SHELL_LANGUAGES.join(', ')} blocks are)`);
      }
      i = end;
      continue;
    }
    if (pending !== undefined) {
      problems.push(`${file}:${pending.line}: a doc-test directive must be on the line just before a fence`);
      pending = undefined;
    }
    const directive = DIRECTIVE.exec(line);
    if (directive) pending = { line: i + 1, text: directive[1]! };
    // A comment that starts like a directive but is not one whole line (text may mention directives in `code`).
    else if (/^\s*<!--\s*doc-test/.test(line)) problems.push(`${file}:${i + 1}: a doc-test directive must be one whole line: <!-- doc-test: ... -->`);
    const heading = HEADING.exec(line);
    if (heading) headings.push({ line: i + 1, level: heading[1]!.length });
  }
  if (pending !== undefined) problems.push(`${file}:${pending.line}: a doc-test directive must be on the line just before a fence`);
  const blocks = found.map((b, k) => {
    const level = sectionLevel[k]!;
    const end = level === 0 ? undefined : headings.find((h) => h.line > b.line && h.level <= level);
    return { ...b, sectionEnd: end?.line ?? Infinity };
  });
  return { blocks, problems };
}

export type Step =
  | { readonly kind: 'run'; readonly block: DocBlock }
  | { readonly kind: 'skip'; readonly block: DocBlock }
  | { readonly kind: 'start'; readonly block: DocBlock }
  | { readonly kind: 'stop'; readonly block: DocBlock };

/** The steps for one document, in order: each background block is stopped where its section ends. */
export function planSteps(blocks: readonly DocBlock[]): Step[] {
  const steps: Step[] = [];
  let running: DocBlock[] = [];
  for (const block of blocks) {
    for (const bg of running.filter((b) => b.sectionEnd < block.line)) steps.push({ kind: 'stop', block: bg });
    running = running.filter((b) => b.sectionEnd >= block.line);
    if (block.mode.kind === 'skip') steps.push({ kind: 'skip', block });
    else if (block.mode.kind === 'background') {
      steps.push({ kind: 'start', block });
      running.push(block);
    } else steps.push({ kind: 'run', block });
  }
  for (const bg of running.reverse()) steps.push({ kind: 'stop', block: bg });
  return steps;
}
