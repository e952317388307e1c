// `stratus config check FILE`: validates a configuration file as the command it is for
// would at start-up (the same loader and schema), without starting anything, and reports
// every problem at once, each with its key path and, when the key is in the file, its
// line. Which command: --for, or told by the file's keys (config/commands.ts).
// STRATUS_* variables are left out unless --env is given: the check is about the file,
// and a variable set in the shell that runs it would otherwise hide or cause problems.

import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { CONFIG_COMMANDS, CONFIG_SCHEMAS, detectCommand } from '../config/commands.ts';
import type { ConfigCommand } from '../config/commands.ts';
import { ConfigError, formatProblem, loadConfigWith } from '../config/load.ts';
import type { ConfigProblem } from '../config/load.ts';

/** Exit codes: the file is valid; it is not (every problem printed); the check could not be made. */
export const CHECK_EXIT = { valid: 0, invalid: 1, usage: 2 } as const;

export interface CheckOptions {
  /** The command whose schema applies; absent: told by the file's keys. */
  readonly for?: ConfigCommand;
  /** Apply STRATUS_* variables from this environment as the process would (--env). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface CheckResult {
  readonly exitCode: number;
  /** What to print: stdout for a valid file, stderr otherwise. */
  readonly lines: readonly string[];
}

export function checkConfigFile(file: string, options: CheckOptions = {}): CheckResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { exitCode: CHECK_EXIT.usage, lines: [`stratus config check: cannot read ${file}: ${(e as Error).message}`] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length > 0) {
    // The messages end in " at line L, column C:" and an excerpt; one line each here.
    const errors = doc.errors.map((e) => `${e.linePos !== undefined ? `line ${e.linePos[0].line}: ` : ''}${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
    return { exitCode: CHECK_EXIT.invalid, lines: [`${file}: not valid YAML, ${count(errors.length)}:`, ...errors.map((l) => `  ${l}`)] };
  }
  const top: unknown = doc.toJS();
  if (top !== null && top !== undefined && (typeof top !== 'object' || Array.isArray(top))) {
    return { exitCode: CHECK_EXIT.invalid, lines: [`${file}: the top level must be a mapping of settings`] };
  }
  const keys = top === null || top === undefined ? [] : Object.keys(top);

  let command: ConfigCommand;
  let how: string;
  if (options.for !== undefined) {
    command = options.for;
    how = `--for ${command}`;
  } else {
    const detected = detectCommand(keys);
    if (!('command' in detected)) {
      const which = detected.candidates.length > 0 ? detected.candidates.map((c) => `stratus ${c}`).join(' or ') : 'one command (its keys belong to different ones)';
      return { exitCode: CHECK_EXIT.usage, lines: [`stratus config check: cannot tell whether ${file} is for ${which} (${detected.by}); give --for ${CONFIG_COMMANDS.join('|')}`] };
    }
    command = detected.command;
    how = `${detected.by}; --for overrides`;
  }

  try {
    loadConfigWith(CONFIG_SCHEMAS[command], { file, env: options.env ?? {} });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const problems = e.details.map((p) => `  ${formatProblem(withLine(p, file, doc, lineCounter))}`);
    return { exitCode: CHECK_EXIT.invalid, lines: [`${file}: not a valid stratus ${command} configuration (${how}), ${count(problems.length)}:`, ...problems] };
  }
  return { exitCode: CHECK_EXIT.valid, lines: [`${file}: OK, a valid stratus ${command} configuration (${how})${options.env !== undefined ? ' with the STRATUS_* variables applied' : ''}`] };
}

function count(n: number): string {
  return `${n} problem${n === 1 ? '' : 's'}`;
}

/** A problem whose value is the file's, pointed at by line instead of the file name the loader gives. */
function withLine(p: ConfigProblem, file: string, doc: Document, lineCounter: LineCounter): ConfigProblem {
  if (p.path === undefined || p.source !== `in ${file}`) return p;
  const offset = offsetOf(doc, p.path);
  return offset === undefined ? p : { ...p, source: `line ${lineCounter.linePos(offset).line}` };
}

/** Where the deepest part of `path` present in the document starts (the key of a mapping entry, or a list item). */
function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents;
  let found: number | undefined;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === part);
      if (pair === undefined) break;
      found = (pair.key as Node).range?.[0] ?? found;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (item === undefined) break;
      found = item.range?.[0] ?? found;
      node = item;
    } else {
      break;
    }
  }
  return found;
}
