// Which schema each command's configuration follows, and how to tell from a file's keys
// which command it is for (`stratus config check` without --for). One table, so adding a
// command or a section that only one command has is one edit.

import type { z } from 'zod';
import { configSchema } from './schema.ts';
import { brokerConfigSchema } from './broker-schema.ts';
import { controllerConfigSchema } from './controller-schema.ts';

export const CONFIG_COMMANDS = ['dev', 'broker', 'controller'] as const;
export type ConfigCommand = (typeof CONFIG_COMMANDS)[number];

export const CONFIG_SCHEMAS: Readonly<Record<ConfigCommand, z.ZodObject>> = {
  dev: configSchema,
  broker: brokerConfigSchema,
  controller: controllerConfigSchema,
};

/**
 * Top-level keys only one command's schema has. `cluster` is both broker's and
 * controller's (each its own half of the cluster protocol), so it tells only that the file
 * is not dev's. A file with none of these is dev's: dev takes every other section.
 */
const OWN_KEYS: Readonly<Record<string, readonly ConfigCommand[]>> = {
  controller: ['broker'],
  metadata: ['controller'],
  grpc: ['controller'],
  election: ['controller'],
  name: ['controller'],
  cluster: ['broker', 'controller'],
};

/** The command, or the commands it could be for (none: its keys belong to different commands). */
export type Detection = { readonly command: ConfigCommand; readonly by: string } | { readonly candidates: readonly ConfigCommand[]; readonly by: string };

/** The command a configuration file (its top-level keys) is for. */
export function detectCommand(topLevelKeys: readonly string[]): Detection {
  let candidates: readonly ConfigCommand[] = CONFIG_COMMANDS;
  const telling: string[] = [];
  for (const key of topLevelKeys) {
    const own = OWN_KEYS[key];
    if (own === undefined) continue;
    telling.push(key);
    candidates = candidates.filter((c) => own.includes(c));
  }
  if (telling.length === 0) return { command: 'dev', by: 'no broker- or controller-only key' };
  const by = `by its key${telling.length > 1 ? 's' : ''} ${telling.join(', ')}`;
  return candidates.length === 1 ? { command: candidates[0]!, by } : { candidates, by };
}
