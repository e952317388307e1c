// Loads the configuration: defaults, then a YAML file, then STRATUS_* environment
// variables, then command-line flags — each layer overriding the one before — and
// validates the result once. Errors name the key and where its value came from, e.g.
// `kafka.port (from STRATUS_KAFKA_PORT): expected a number`. One loader for every
// command's schema (dev, broker, controller): the same layers, names and messages.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema, SECRET_CONFIG_KEYS } from './schema.ts';
import type { StratusConfig } from './schema.ts';

/** One problem of a configuration: the key it is about (absent: the file as a whole) and where its value came from. */
export interface ConfigProblem {
  /** Dotted key path, e.g. kafka.port; absent for a problem of the whole file (unreadable, not a mapping). */
  readonly key?: string;
  /** The same path as its parts (a key may itself hold a dot; list items are numbers). */
  readonly path?: readonly (string | number)[];
  /** `in FILE`, `from STRATUS_X`, `from the command line`, `default`; absent for a required key nobody set. */
  readonly source?: string;
  readonly message: string;
}

export class ConfigError extends Error {
  /** Each problem as one line, e.g. `kafka.port (from STRATUS_KAFKA_PORT): expected a number (got "x")`. */
  readonly problems: readonly string[];
  /** The same problems with their parts, for tools that point at them (stratus config check: file lines). */
  readonly details: readonly ConfigProblem[];
  constructor(problems: readonly (string | ConfigProblem)[]) {
    const details = problems.map((p) => (typeof p === 'string' ? { message: p } : p));
    const lines = details.map(formatProblem);
    super(`invalid configuration:\n  ${lines.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = lines;
    this.details = details;
  }
}

export function formatProblem(p: ConfigProblem): string {
  if (p.key === undefined) return p.message;
  return p.source === undefined ? `${p.key}: ${p.message}` : `${p.key} (${p.source}): ${p.message}`;
}

type Tree = Record<string, unknown>;

/** The environment variable for a config path: kafka.advertisedHost → STRATUS_KAFKA_ADVERTISED_HOST. */
export function envName(path: readonly string[]): string {
  return 'STRATUS_' + path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf path of the schema (for env lookup and error messages). */
function schemaPaths(shape: Record<string, unknown>, prefix: string[] = []): { path: string[]; kind: string }[] {
  const out: { path: string[]; kind: string }[] = [];
  for (const [key, value] of Object.entries(shape)) {
    const inner = unwrap(value);
    const innerShape = (inner as { shape?: Record<string, unknown> }).shape;
    if (innerShape !== undefined) out.push(...schemaPaths(innerShape, [...prefix, key]));
    else out.push({ path: [...prefix, key], kind: kindOf(inner) });
  }
  return out;
}

function unwrap(s: unknown): unknown {
  let cur = s as { def?: { innerType?: unknown; in?: unknown; type?: string } };
  for (let i = 0; i < 10 && cur?.def; i++) {
    const next = cur.def.innerType ?? (cur.def.type === 'pipe' ? cur.def.in : undefined);
    if (next === undefined) break;
    cur = next as typeof cur;
  }
  return cur;
}

function kindOf(s: unknown): string {
  return (s as { def?: { type?: string } }).def?.type ?? 'unknown';
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Tree;
  }
  node[path[path.length - 1]!] = value;
}

function coerce(kind: string, raw: string): unknown {
  if (kind === 'number') return raw.trim() === '' || Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (kind === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  if (kind === 'nullable' && raw === '') return null;
  // Lists from one variable: comma-separated (STRATUS_CONTROLLER_ENDPOINTS=a:1,b:2).
  if (kind === 'array') return raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return raw;
}

export interface LoadOptions {
  /** YAML config file; optional. */
  readonly file?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by config path (e.g. { 'kafka.port': '9093' }). */
  readonly flags?: Readonly<Record<string, string>>;
}

/** `stratus dev`'s configuration. */
export function loadConfig(options: LoadOptions = {}): StratusConfig {
  return loadConfigWith(configSchema, options);
}

/** A command's configuration by its schema (configSchema, brokerConfigSchema, controllerConfigSchema). */
export function loadConfigWith<S extends z.ZodObject>(schema: S, options: LoadOptions = {}): z.output<S> {
  const tree: Tree = {};
  const origin = new Map<string, string>();
  const rawValues = new Map<string, string>();
  const problems: string[] = [];
  if (options.file !== undefined) {
    let parsed: unknown;
    try {
      parsed = parseYaml(readFileSync(options.file, 'utf8'));
    } catch (e) {
      throw new ConfigError([`${options.file}: ${(e as Error).message}`]);
    }
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`${options.file}: the top level must be a mapping`]);
      Object.assign(tree, parsed);
    }
  }
  const leaves = schemaPaths(schema.shape as Record<string, unknown>);
  const env = options.env ?? process.env;
  for (const { path, kind } of leaves) {
    const name = envName(path);
    const raw = env[name];
    if (raw !== undefined) {
      setPath(tree, path, coerce(kind, raw));
      origin.set(path.join('.'), `from ${name}`);
      rawValues.set(path.join('.'), raw);
    }
  }
  for (const [key, raw] of Object.entries(options.flags ?? {})) {
    const leaf = leaves.find((l) => l.path.join('.') === key);
    if (leaf === undefined) {
      problems.push(`unknown setting ${key}`);
      continue;
    }
    setPath(tree, leaf.path, coerce(leaf.kind, raw));
    origin.set(key, 'from the command line');
    rawValues.set(key, raw);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const result = schema.safeParse(tree);
  if (!result.success) {
    const sourceOf = (key: string) => origin.get(key) ?? (options.file !== undefined ? `in ${options.file}` : 'default');
    throw new ConfigError(
      result.error.issues.flatMap((i): ConfigProblem[] => {
        const key = i.path.join('.') || '(top level)';
        // Unknown keys: one problem each, named by its own path (zod reports them on their parent).
        if (i.code === 'unrecognized_keys') {
          return i.keys.map((k) => {
            const path = [...i.path.map((p) => (typeof p === 'number' ? p : String(p))), k];
            const near = closestKey(k, siblingKeys(leaves, path.slice(0, -1).map(String)));
            return { key: path.join('.'), path, source: sourceOf(path.join('.')), message: `Unrecognized key: "${k}"${near !== undefined ? ` (did you mean "${near}"?)` : ''}` };
          });
        }
        const path = i.path.map((p) => (typeof p === 'number' ? p : String(p)));
        const raw = rawValues.get(key);
        // A required key nobody set came from nowhere: say only that it is required.
        if (raw === undefined && i.message.startsWith('required:') && !origin.has(key)) return [{ key, path, message: i.message }];
        const shown = raw !== undefined && !SECRET_CONFIG_KEYS.has(key) ? ` (got "${raw}")` : '';
        return [{ key, path, source: sourceOf(key), message: `${i.message}${shown}` }];
      }),
    );
  }
  return result.data;
}

/** The keys the schema has directly under `parent` (sections and settings). */
function siblingKeys(leaves: readonly { path: string[] }[], parent: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const { path } of leaves) {
    if (path.length > parent.length && parent.every((p, i) => path[i] === p)) keys.add(path[parent.length]!);
  }
  return [...keys];
}

/** A known key a misspelt one probably meant: same letters but for case, or at most two edits away. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const d = k.toLowerCase() === key.toLowerCase() ? 0 : editDistance(k, key);
    if (d <= 2 && (best === undefined || d < best.distance)) best = { key: k, distance: d };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}
