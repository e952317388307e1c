// `stratus config`: tools for configuration files, nothing started.
//   check FILE [--for dev|broker|controller] [--env]   validate, report every problem
//   schema dev|broker|controller                       print the JSON Schema (config/schema/)

import { parseArgs } from 'node:util';
import { CONFIG_COMMANDS } from '../config/commands.ts';
import type { ConfigCommand } from '../config/commands.ts';
import { configJsonSchemaText } from '../config/json-schema.ts';
import { CHECK_EXIT, checkConfigFile } from './config-check.ts';

export const CONFIG_USAGE = `usage: stratus config check FILE [--for dev|broker|controller] [--env]
       stratus config schema dev|broker|controller

  check    validate FILE as that command would at start-up, without starting it, and
           report every problem with its key path (and line). Which command: --for, or
           told by the file's keys (controller: -> broker; metadata, grpc, election or
           name -> controller; none of them -> dev). STRATUS_* variables are ignored
           unless --env is given. Exit 0: valid (one line); 1: problems; 2: could not check.
  schema   print the JSON Schema of a command's file (config/schema/*.schema.json)`;

function isCommand(s: string | undefined): s is ConfigCommand {
  return (CONFIG_COMMANDS as readonly (string | undefined)[]).includes(s);
}

export function runConfig(argv: readonly string[]): number {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { for: { type: 'string' }, env: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    console.error(`stratus config: ${(e as Error).message}\n\n${CONFIG_USAGE}`);
    return CHECK_EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(CONFIG_USAGE);
    return 0;
  }
  const [action, arg, extra] = positionals;
  if (extra !== undefined) return usageError(`unexpected argument ${extra}`);
  if (action === 'check') {
    if (arg === undefined) return usageError('check needs a FILE');
    if (values.for !== undefined && !isCommand(values.for)) return usageError(`--for ${values.for}: use one of ${CONFIG_COMMANDS.join(', ')}`);
    const result = checkConfigFile(arg, { ...(values.for !== undefined ? { for: values.for } : {}), ...(values.env === true ? { env: process.env } : {}) });
    for (const line of result.lines) (result.exitCode === CHECK_EXIT.valid ? console.log : console.error)(line);
    return result.exitCode;
  }
  if (action === 'schema') {
    if (values.for !== undefined || values.env !== undefined) return usageError('schema takes only the command');
    if (!isCommand(arg)) return usageError(`schema needs one of ${CONFIG_COMMANDS.join(', ')}`);
    process.stdout.write(configJsonSchemaText(arg));
    return 0;
  }
  return usageError(action === undefined ? 'missing check or schema' : `unknown action '${action}'`);
}

function usageError(message: string): number {
  console.error(`stratus config: ${message}\n\n${CONFIG_USAGE}`);
  return CHECK_EXIT.usage;
}
