// The .dockerignore matcher the image test relies on (dockerignore.ts) against the rules
// and examples of Docker's documentation ("Build context: .dockerignore files").

import { describe, expect, it } from 'vitest';
import { isExcluded, parseDockerignore } from './dockerignore.ts';

const excluded = (text: string, path: string): boolean => isExcluded(parseDockerignore(text), path);

describe('.dockerignore matching', () => {
  it("follows the documentation's pattern examples", () => {
    const rules = '# comment\n*/temp*\n*/*/temp*\ntemp?\n';
    expect(excluded(rules, 'somedir/temporary.txt')).toBe(true);
    expect(excluded(rules, 'somedir/temp')).toBe(true);
    expect(excluded(rules, 'somedir/subdir/temporary.txt')).toBe(true);
    expect(excluded(rules, 'tempa')).toBe(true);
    expect(excluded(rules, 'temp')).toBe(false); // temp? needs one more character
    expect(excluded(rules, 'temporary.txt')).toBe(false); // */temp* is one level down
    expect(excluded(rules, '# comment')).toBe(false);
  });

  it('** matches any number of directories, including none', () => {
    expect(excluded('**/*.go', 'main.go')).toBe(true);
    expect(excluded('**/*.go', 'a/b/c/main.go')).toBe(true);
    expect(excluded('**/*.go', 'a/b/main.goo')).toBe(false);
    expect(excluded('**/src/testing/', 'libs/wal/src/testing/files.ts')).toBe(true);
    expect(excluded('**/src/testing/', 'libs/wal/src/testing.ts')).toBe(false);
  });

  it('lets the last matching line decide, exceptions included', () => {
    expect(excluded('*.md\n!README*.md\nREADME-secret.md', 'README.md')).toBe(false);
    expect(excluded('*.md\n!README*.md\nREADME-secret.md', 'README-secret.md')).toBe(true);
    expect(excluded('*.md\n!README*.md\nREADME-secret.md', 'notes.md')).toBe(true);
    expect(excluded('*.md\nREADME-secret.md\n!README*.md', 'README-secret.md')).toBe(false);
  });

  it('matches a path by its parent directories, so an allow-list re-includes a subtree', () => {
    const rules = '*\n!libs/*/package.json\n!libs/*/src/\n**/src/testing/';
    expect(excluded(rules, 'node_modules/x/index.js')).toBe(true);
    expect(excluded(rules, 'libs/wal/src/index.ts')).toBe(false);
    expect(excluded(rules, 'libs/wal/src/segment/reader.ts')).toBe(false);
    expect(excluded(rules, 'libs/wal/package.json')).toBe(false);
    expect(excluded(rules, 'libs/wal/test/wal.test.ts')).toBe(true);
    expect(excluded(rules, 'libs/wal/src/testing/index.ts')).toBe(true);
    expect(excluded(rules, 'libs/wal/README.md')).toBe(true);
  });

  it('cleans patterns like paths: leading and trailing slashes, dots; escapes and regex characters are literal', () => {
    expect(excluded('/config/', 'config/dev.yaml')).toBe(true);
    expect(excluded('./data/../cache', 'cache/x')).toBe(true);
    expect(excluded('a+b.(c)', 'a+b.(c)')).toBe(true);
    expect(excluded('a.b', 'axb')).toBe(false);
    expect(excluded('\\*', '*')).toBe(true);
    expect(excluded('\\*', 'x')).toBe(false);
  });
});
