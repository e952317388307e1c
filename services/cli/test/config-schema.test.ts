// The schema the config files follow: config/schema/*.schema.json are exactly what the zod
// schemas generate (a generated-code check: a changed setting without regenerated JSON
// fails here), each config/*.yaml names its schema for editors, and config/dev.yaml holds
// every default of `stratus dev` (as cluster-config.test.ts checks broker.yaml and
// controller.yaml), writing each key that has one and naming the others in comments.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { CONFIG_COMMANDS } from '../src/config/commands.ts';
import { configJsonSchema, configJsonSchemaText, SCHEMA_DIR, schemaFileName } from '../src/config/json-schema.ts';
import { loadConfig } from '../src/config/load.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const CONFIG_DIR = join(REPO, 'config');

interface JsonSchemaNode {
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly default?: unknown;
}

/**
 * Every leaf setting and whether it has a default that applies by itself. The defaults
 * inside a section that is optional and absent by default (sasl.oauthbearer: off until
 * its required keys are given) apply only once the section is written, so an example
 * file shows that section commented out and names its keys in the comment.
 */
function settings(node: JsonSchemaNode, path: string[] = [], inOptionalSection = false): { path: string[]; hasDefault: boolean }[] {
  if (node.properties === undefined) return [{ path, hasDefault: 'default' in node && !inOptionalSection }];
  const required = new Set(node.required ?? []);
  return Object.entries(node.properties).flatMap(([key, child]) =>
    settings(child, [...path, key], inOptionalSection || (child.properties !== undefined && !required.has(key) && !('default' in child))),
  );
}

describe('config/schema', () => {
  it.each(CONFIG_COMMANDS)('%s.schema.json is what the zod schema generates (regenerate: stratus config schema %s)', (command) => {
    const committed = readFileSync(join(CONFIG_DIR, SCHEMA_DIR, schemaFileName(command)), 'utf8');
    expect(committed).toBe(configJsonSchemaText(command));
  });

  it('the command prints the same text', () => {
    const printed = execFileSync(process.execPath, ['--initial-old-space-size=128', join(REPO, 'services/cli/src/main.ts'), 'config', 'schema', 'broker'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(printed).toBe(configJsonSchemaText('broker'));
  });

  it.each(CONFIG_COMMANDS)('config/%s.yaml names its schema for editors (yaml-language-server)', (command) => {
    const first = readFileSync(join(CONFIG_DIR, `${command}.yaml`), 'utf8').split('\n')[0]!;
    expect(first).toBe(`# yaml-language-server: $schema=./${SCHEMA_DIR}/${schemaFileName(command)}`);
    expect(existsSync(join(CONFIG_DIR, SCHEMA_DIR, schemaFileName(command)))).toBe(true);
  });
});

describe('config/dev.yaml', () => {
  const file = join(CONFIG_DIR, 'dev.yaml');

  it('holds every default of stratus dev', () => {
    const example = loadConfig({ file, env: {} });
    const defaults = loadConfig({ env: {} });
    // groups.initialRebalanceDelay is unset by default and dev then uses 0 (commands/dev.ts); the file says 0s.
    expect(example.groups.initialRebalanceDelay).toBe(0);
    expect({ ...example, groups: { ...example.groups, initialRebalanceDelay: undefined } }).toEqual(defaults);
  });

  it('writes each setting that has a default and names the others in a comment', () => {
    const text = readFileSync(file, 'utf8');
    const doc = parseDocument(text);
    const comments = text.split('\n').filter((l) => l.includes('#')).map((l) => l.slice(l.indexOf('#'))).join('\n');
    const all = settings(configJsonSchema('dev') as JsonSchemaNode);
    expect(all.length).toBeGreaterThan(80);
    const missing = all.filter((s) => s.hasDefault && !doc.hasIn(s.path)).map((s) => s.path.join('.'));
    expect(missing).toEqual([]);
    const unnamed = all.filter((s) => !s.hasDefault && !doc.hasIn(s.path) && !comments.includes(s.path[s.path.length - 1]!)).map((s) => s.path.join('.'));
    expect(unnamed).toEqual([]);
  });
});
