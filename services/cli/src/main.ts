#!/usr/bin/env -S node --initial-old-space-size=128
// The `stratus` command. Subcommands:
//   dev         controller + broker in one process, data under ./data (what `npm start` runs)
//   broker      a broker of a multi-process cluster (arrives with the controller service)
//   controller  the controller service (arrives with the controller service)
// Common flags: --config FILE, --data-dir DIR, --kafka-port N, --http-port N,
// --object-store URL, --recover=truncate. Every setting can also come from a STRATUS_*
// variable.
//
// Run it with --initial-old-space-size=128 (the shebang, `npm start` and the test and
// benchmark launchers do): the broker's own heap is small (~20 MB), so V8 keeps its
// old-generation limit low and, with record bytes streaming through, ran a full
// mark-compact every ~150 ms (5-15 ms pauses each, the largest part of produce p99).
// A 128 MB starting limit cut that to about one per second (docs/performance.md). V8
// reads the flag only at start-up, and NODE_OPTIONS may not carry it.

import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.ts';
import { runDev } from './commands/dev.ts';

const USAGE = `usage: stratus <dev|broker|controller> [options]

  dev          run an embedded single-node cluster (controller + broker)

options:
  --config FILE         YAML configuration file
  --data-dir DIR        where the WAL, objects and metadata live (default ./data)
  --kafka-port N        Kafka listener port (default 9092)
  --http-port N         health and metrics port (default 9644)
  --object-store URL    file://, s3://bucket/prefix?endpoint=..., gs://bucket/prefix
  --recover=truncate    after the WAL was found damaged: cut it there, set the rest aside
                        in <data-dir>/wal/quarantine/ and start (default: refuse to start)
  -h, --help            this text

Every setting can be given as STRATUS_<PATH>, e.g. STRATUS_KAFKA_PORT=9093.`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'kafka-port': { type: 'string' },
        'http-port': { type: 'string' },
        'object-store': { type: 'string' },
        recover: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`stratus: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (positionals.length > 1) {
    console.error(`stratus: unexpected argument ${positionals[1]}\n\n${USAGE}`);
    return 2;
  }
  const flags: Record<string, string> = {};
  if (values['data-dir'] !== undefined) flags.dataDir = values['data-dir'];
  if (values['kafka-port'] !== undefined) flags['kafka.port'] = values['kafka-port'];
  if (values['http-port'] !== undefined) flags['http.port'] = values['http-port'];
  if (values['object-store'] !== undefined) flags['objectStore.url'] = values['object-store'];
  if (values.recover !== undefined) flags['wal.recover'] = values.recover;
  let config;
  try {
    config = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}), flags });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`stratus: ${e.message}`);
      return 2;
    }
    throw e;
  }
  switch (command) {
    case 'dev':
      return runDev(config);
    case 'broker':
    case 'controller':
      console.error(`stratus: '${command}' runs as its own process once the controller service exists; use 'stratus dev' for now`);
      return 2;
    default:
      console.error(`stratus: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (e: unknown) => {
    console.error('stratus: fatal:', e);
    process.exit(1);
  },
);
