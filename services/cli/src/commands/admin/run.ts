// `stratus admin`: operating a running cluster through its controller's gRPC API — the
// part deployment needs (the cluster's state, draining brokers before removing them,
// moving a partition's leadership). Each group of subcommands is a file of this
// directory; this one parses the command line and connects.

import { parseArgs } from 'node:util';
import { parseDurationMs } from '../../config/duration.ts';
import { connectController } from './connect.ts';
import type { ControllerConnection } from './connect.ts';
import { clusterCommand } from './cluster.ts';
import { brokerId, brokersDrainCommand, brokersListCommand, brokersUndrainCommand } from './brokers.ts';
import { partitionsReassignCommand, reassignArgs } from './partitions.ts';
import { ADMIN_EXIT, AdminExit, createOutput, usageError } from './output.ts';
import type { Output } from './output.ts';
import { DEFAULT_WAIT_TIMEOUT } from './wait.ts';

export const ADMIN_USAGE = `usage: stratus admin cluster [--json]
       stratus admin brokers list [--json]
       stratus admin brokers drain ID [--wait [--timeout DUR]] [--json]
       stratus admin brokers undrain ID [--json]
       stratus admin partitions reassign --topic T --partition P[,P...] --to BROKER [--wait [--timeout DUR]] [--json]

  cluster               brokers (addresses per listener, rack, epoch, fenced/suspected/
                        draining, partitions led, lease), the active controller, the
                        metadata version, the moves under way
  brokers list          the brokers alone
  brokers drain ID      move every partition broker ID leads to the others and give it no
                        new ones (before removing it); --wait: until it leads none
  brokers undrain ID    let the controller give it partitions again
  partitions reassign   move the partitions' leadership to broker --to (graceful hand-over);
                        --wait: until it leads them

options:
  --controller HOST:PORT[,HOST:PORT]   the controllers' gRPC addresses (default:
                        STRATUS_CONTROLLER_ENDPOINTS, as a broker reads it; the other
                        STRATUS_CONTROLLER_* settings of a broker apply too: timeouts, TLS)
  --json                one JSON document on stdout (progress goes to stderr)
  --wait                wait for a drain or reassignment to finish
  --timeout DUR         how long --wait waits (default ${DEFAULT_WAIT_TIMEOUT}; 500ms, 30s, 5m, PT10M)

exit codes: 0 done; 1 an operation failed (the controller refused an item, a wait timed
out); 2 wrong usage or no controller answered. \`stratus dev\` serves no controller API.`;

type Values = {
  controller?: string | undefined;
  json?: boolean | undefined;
  wait?: boolean | undefined;
  timeout?: string | undefined;
  topic?: string | undefined;
  partition?: string | undefined;
  to?: string | undefined;
  help?: boolean | undefined;
};

/**
 * A subcommand: the options it takes besides --controller and --json, how many
 * positionals, and `prepare`, which checks its arguments before anything connects and
 * returns what it does.
 */
interface Subcommand {
  readonly options: readonly (keyof Values)[];
  readonly positionals: number;
  prepare(values: Values, positionals: readonly string[]): (conn: ControllerConnection, out: Output) => Promise<number>;
}

function waitOption(values: Values): { timeoutMs: number } | undefined {
  if (values.wait !== true) return undefined;
  const ms = parseDurationMs(values.timeout ?? DEFAULT_WAIT_TIMEOUT);
  if (typeof ms === 'string') throw usageError(`--timeout: ${ms}`);
  return { timeoutMs: ms };
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  cluster: { options: [], positionals: 0, prepare: () => clusterCommand },
  'brokers list': { options: [], positionals: 0, prepare: () => brokersListCommand },
  'brokers drain': {
    options: ['wait', 'timeout'],
    positionals: 1,
    prepare: (v, p) => {
      const id = brokerId(p[0], 'drain');
      const wait = waitOption(v);
      return (conn, out) => brokersDrainCommand(conn, out, id, wait);
    },
  },
  'brokers undrain': {
    options: [],
    positionals: 1,
    prepare: (_v, p) => {
      const id = brokerId(p[0], 'undrain');
      return (conn, out) => brokersUndrainCommand(conn, out, id);
    },
  },
  'partitions reassign': {
    options: ['topic', 'partition', 'to', 'wait', 'timeout'],
    positionals: 0,
    prepare: (v) => {
      const args = reassignArgs({ topic: v.topic, partitions: v.partition, to: v.to });
      const wait = waitOption(v);
      return (conn, out) => partitionsReassignCommand(conn, out, args, wait);
    },
  },
};

/** The subcommand the positionals name (one word or two), and the positionals after it. */
function findSubcommand(positionals: readonly string[]): { name: string; sub: Subcommand; rest: string[] } {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(' ');
    const sub = SUBCOMMANDS[name];
    if (sub !== undefined && positionals.length >= words) return { name, sub, rest: positionals.slice(words) };
  }
  throw usageError(positionals.length === 0 ? 'which command?' : `unknown command '${positionals.slice(0, 2).join(' ')}'`);
}

function parse(argv: readonly string[]): { run: (conn: ControllerConnection, out: Output) => Promise<number>; values: Values } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        controller: { type: 'string' },
        json: { type: 'boolean' },
        wait: { type: 'boolean' },
        timeout: { type: 'string' },
        topic: { type: 'string' },
        partition: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const values = parsed.values as Values;
  if (values.help === true) return 'help';
  const { name, sub, rest } = findSubcommand(parsed.positionals);
  if (rest.length > sub.positionals) throw usageError(`${name}: unexpected argument ${rest[sub.positionals]}`);
  const common: readonly (keyof Values)[] = ['controller', 'json', 'help'];
  for (const key of Object.keys(values) as (keyof Values)[]) {
    if (!common.includes(key) && !sub.options.includes(key)) throw usageError(`--${key} does not apply to '${name}'`);
  }
  if (values.timeout !== undefined && values.wait !== true) throw usageError('--timeout goes with --wait');
  return { run: sub.prepare(values, rest), values };
}

export async function runAdmin(argv: readonly string[]): Promise<number> {
  let conn: ControllerConnection | undefined;
  try {
    const p = parse(argv);
    if (p === 'help') {
      console.log(ADMIN_USAGE);
      return ADMIN_EXIT.ok;
    }
    conn = await connectController(p.values.controller);
    return await p.run(conn, createOutput(p.values.json === true));
  } catch (e) {
    if (!(e instanceof AdminExit)) {
      // A controller call that failed after its retries (unavailable, a timeout): the cluster could not be asked.
      console.error(`stratus admin: the controller call failed: ${(e as Error).message}`);
      return ADMIN_EXIT.usage;
    }
    console.error(`stratus admin: ${e.message}${e.showUsage ? `\n\n${ADMIN_USAGE}` : ''}`);
    return e.code;
  } finally {
    await conn?.client.close();
  }
}
