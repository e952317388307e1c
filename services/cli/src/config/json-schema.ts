// The JSON Schema of each command's configuration file, generated from its zod schema
// (the one start-up validates with), for editors: config/*.yaml name theirs in a
// `# yaml-language-server: $schema=...` line. config/schema/*.json are this output,
// committed; a test fails when they differ (regenerate: `stratus config schema COMMAND`).
//
// It describes the file as written (zod's input side: durations are strings, every key
// with a default is optional). Checks across keys (e.g. heartbeatInterval below
// brokerLease) and the duration syntax are not expressible here; `stratus config check`
// and start-up apply them. Draft-07: what yaml-language-server and most editors support.

import { z } from 'zod';
import { CONFIG_SCHEMAS } from './commands.ts';
import type { ConfigCommand } from './commands.ts';

/** Where the schema files live in the repository, relative to config/. */
export const SCHEMA_DIR = 'schema';

export function schemaFileName(command: ConfigCommand): string {
  return `${command}.schema.json`;
}

const TITLES: Readonly<Record<ConfigCommand, string>> = {
  dev: 'stratus dev configuration (config/dev.yaml)',
  broker: 'stratus broker configuration (config/broker.yaml)',
  controller: 'stratus controller configuration (config/controller.yaml)',
};

export function configJsonSchema(command: ConfigCommand): Record<string, unknown> {
  const generated = z.toJSONSchema(CONFIG_SCHEMAS[command], { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: TITLES[command],
    description:
      `Generated from services/cli/src/config by \`stratus config schema ${command}\`; do not edit. ` +
      'Sizes are bytes; durations are strings like 500ms, 10s, 5m, 7d or PT10M. Every key can also be set with a STRATUS_* variable. ' +
      `\`stratus config check FILE --for ${command}\` applies the checks this schema cannot express.`,
    ...rest,
  };
}

/** The file's text: two-space JSON and a final newline, as committed. */
export function configJsonSchemaText(command: ConfigCommand): string {
  return `${JSON.stringify(configJsonSchema(command), null, 2)}\n`;
}
