// .dockerignore matching as Docker does it (moby/patternmatcher, used by BuildKit), for
// the image test: which files of the repository the build context holds. No Docker
// engine runs here, and no npm package in the tree implements these rules (the `ignore`
// package is gitignore's, which differ), so this is the small part the test needs:
// - a line is a pattern, or an exception when it starts with `!`; `#` lines are comments;
//   patterns are cleaned like paths (no trailing or leading slash, `.`/`..` resolved);
// - `*` matches within one path segment, `?` one character of one, `**` any number of
//   directories; `\` escapes the next character; `[...]` is a character class;
// - a pattern matches a path when it matches the path or one of its parent directories;
// - the last pattern that matches decides: excluded, or (for an exception) included.

import { posix } from 'node:path';

export interface IgnoreRule {
  /** The cleaned pattern, without the `!`. */
  readonly pattern: string;
  /** A `!` line: matching paths are let back in. */
  readonly exception: boolean;
  readonly regex: RegExp;
}

/** Go's filepath.Clean for slash-separated paths: "" → ".", no trailing slash. */
function clean(path: string): string {
  if (path === '') return '.';
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

const REGEX_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

/** The regular expression of one cleaned pattern (patternmatcher's compile). */
export function patternRegex(pattern: string): RegExp {
  let source = '^';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++; // `**/` is taken as `**`
        source += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\') {
      source += i + 1 < chars.length ? '\\' + chars[++i] : '\\\\';
    } else if (REGEX_SPECIAL.has(ch)) {
      source += '\\' + ch;
    } else {
      source += ch;
    }
  }
  return new RegExp(source + '$');
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    if (raw.startsWith('#')) continue;
    let line = raw.trim();
    if (line === '') continue;
    const exception = line.startsWith('!');
    if (exception) line = line.slice(1).trim();
    let pattern = clean(line);
    if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    rules.push({ pattern, exception, regex: patternRegex(pattern) });
  }
  return rules;
}

/** Whether the build context leaves out `path` (relative to the context root, `/`-separated). */
export function isExcluded(rules: readonly IgnoreRule[], path: string): boolean {
  const file = clean(path);
  const parts = file.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = !rule.exception;
  }
  return excluded;
}
