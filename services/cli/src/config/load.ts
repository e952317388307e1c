// Loads the configuration: defaults, then a YAML file, then STRATUS_* environment
// variables, then command-line flags — each layer overriding the one before — and
// validates the result once. Errors name the key and where its value came from, e.g.
// `kafka.port (from STRATUS_KAFKA_PORT): expected a number`. One loader for every
// command's schema (dev, broker, controller): the same layers, names and messages.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { configSchema } from './schema.ts';
import type { StratusConfig } from './schema.ts';

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
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
    throw new ConfigError(
      result.error.issues.map((i) => {
        const key = i.path.join('.') || '(top level)';
        const from = origin.get(key) ?? (options.file !== undefined ? `in ${options.file}` : 'default');
        const raw = rawValues.get(key);
        // A required key nobody set came from nowhere: say only that it is required.
        if (raw === undefined && i.message.startsWith('required:') && !origin.has(key)) return `${key}: ${i.message}`;
        return `${key} (${from}): ${i.message}${raw !== undefined ? ` (got "${raw}")` : ''}`;
      }),
    );
  }
  return result.data;
}
