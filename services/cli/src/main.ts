#!/usr/bin/env -S node --initial-old-space-size=128
// The `stratus` command. Subcommands:
//   dev         controller + broker in one process, data under ./data (what `npm start` runs)
//   broker      a broker of a cluster: Kafka listener + storage, controller over gRPC
//   controller  the controller service of a cluster (active or standby through Redis)
//   config      check a configuration file, print a JSON Schema (commands/config.ts)
//   admin       operate a running cluster (its controller's gRPC API) or any broker,
//               stratus dev's too (the Kafka protocol): commands/admin/
// Flags: --config FILE, --http-port N, --object-store URL; dev and broker: --data-dir DIR,
// --kafka-port N, --recover=truncate; broker: --node-id N; controller: --grpc-port N.
// Every setting can also come from a STRATUS_* variable. Each command validates its
// own schema (config/schema.ts, broker-schema.ts, controller-schema.ts).
//
// Run it with --initial-old-space-size=128 (the shebang, `npm start` and the test and
// benchmark launchers do): the broker's own heap is small (~20 MB), so V8 keeps its
// old-generation limit low and, with record bytes streaming through, ran a full
// mark-compact every ~150 ms (5-15 ms pauses each, the largest part of produce p99).
// A 128 MB starting limit cut that to about one per second (docs/performance.md). V8
// reads the flag only at start-up, and NODE_OPTIONS may not carry it.

import { parseArgs } from 'node:util';
import { ConfigError, loadConfigWith } from './config/load.ts';
import { configSchema } from './config/schema.ts';
import { brokerConfigSchema } from './config/broker-schema.ts';
import { controllerConfigSchema } from './config/controller-schema.ts';
import { runDev } from './commands/dev.ts';
import { AdminPasswordError } from './dev/secure/admin-password.ts';
import { secureDev } from './dev/secure/secure-dev.ts';
import { runBroker } from './commands/broker.ts';
import { runController } from './commands/controller.ts';
import { runConfig } from './commands/config.ts';
import { runAdmin } from './commands/admin/run.ts';

const USAGE = `usage: stratus <dev|broker|controller> [options]
       stratus config check FILE [--for dev|broker|controller] [--env]
       stratus config schema dev|broker|controller
       stratus admin cluster|brokers|partitions|objects|topics|groups|completion ... [--json]

  dev          run an embedded single-node cluster (controller + broker)
  broker       run a broker of a cluster (config/broker.yaml)
  controller   run a controller of a cluster (config/controller.yaml)
  config       check a configuration file: every problem with its key path, exit 1 if
               any (2: could not check); or print its JSON Schema (stratus config --help)
  admin        operate a running cluster or stratus dev: its state, draining brokers,
               moving partitions, topics, consumer groups and their offsets, objects
               (stratus admin --help)

options:
  --config FILE         YAML configuration file
  --data-dir DIR        dev, broker: where the WAL (dev: also objects, metadata) lives (default ./data)
  --kafka-port N        dev, broker: Kafka listener port (default 9092)
  --node-id N           broker: this broker's id
  --grpc-port N         controller: gRPC port (default 9190)
  --http-port N         health and metrics port (default 9644; controller 9645)
  --object-store URL    file://, s3://bucket/prefix?endpoint=..., gs://bucket/prefix
  --recover=truncate    after the WAL was found damaged: cut it there, set the rest aside
                        in <data-dir>/wal/quarantine/ and start (default: refuse to start)
  --secure              dev: SASL_SSL (SCRAM-SHA-512) with a CA and certificate of its own
                        under <data-dir>/tls/, ACLs on, super user admin (password from
                        STRATUS_ADMIN_PASSWORD, or generated); prints the client settings
  -h, --help            this text

Every setting can be given as STRATUS_<PATH>, e.g. STRATUS_KAFKA_PORT=9093.`;

async function main(argv: string[]): Promise<number> {
  // `config` has its own options (--for, --env) and starts nothing.
  if (argv[0] === 'config') return runConfig(argv.slice(1));
  // `admin` has its own options too, and opens only clients (a controller's, brokers').
  if (argv[0] === 'admin') return runAdmin(argv.slice(1));
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
        'node-id': { type: 'string' },
        'grpc-port': { type: 'string' },
        recover: { type: 'string' },
        secure: { type: 'boolean' },
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
  if (values['node-id'] !== undefined) flags['node.id'] = values['node-id'];
  if (values['grpc-port'] !== undefined) flags['grpc.port'] = values['grpc-port'];
  if (values.secure === true) {
    if (command !== 'dev') {
      console.error(`stratus ${command}: --secure does not apply to 'stratus ${command}' (its listeners take kafka.listenerSecurityProtocolMap, docs/security.md)\n\n${USAGE}`);
      return 2;
    }
    // --secure turns every PLAINTEXT listener into SASL_SSL (dev/secure/secure-dev.ts), so
    // the refusal of plaintext beyond loopback cannot apply to what will run.
    flags['kafka.allowPlaintextExternal'] = 'true';
  }
  const load = { ...(values.config !== undefined ? { file: values.config } : {}), flags };
  try {
    switch (command) {
      case 'dev': {
        const config = loadConfigWith(configSchema, load);
        if (values.secure !== true) return await runDev(config);
        const secure = secureDev(config);
        return await runDev(secure.config, { instructions: secure.instructions });
      }
      case 'broker':
        return await runBroker(loadConfigWith(brokerConfigSchema, load));
      case 'controller':
        return await runController(loadConfigWith(controllerConfigSchema, load));
      default:
        console.error(`stratus: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof AdminPasswordError) {
      console.error(`stratus ${command} --secure: ${e.message}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      // A flag whose setting this command does not have: say so by the flag's name.
      const flag = Object.keys(flags).find((key) => e.problems.length === 1 && e.problems[0] === `unknown setting ${key}`);
      console.error(flag !== undefined ? `stratus ${command}: --${FLAG_OF[flag] ?? flag} does not apply to 'stratus ${command}'\n\n${USAGE}` : `stratus ${command}: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

/** The command-line flag of each setting a flag sets, for messages. */
const FLAG_OF: Readonly<Record<string, string>> = {
  dataDir: 'data-dir',
  'kafka.port': 'kafka-port',
  'http.port': 'http-port',
  'objectStore.url': 'object-store',
  'wal.recover': 'recover',
  'node.id': 'node-id',
  'grpc.port': 'grpc-port',
};

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (e: unknown) => {
    console.error('stratus: fatal:', e);
    process.exit(1);
  },
);
