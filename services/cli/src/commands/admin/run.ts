// `stratus admin`: operating a running Stratus. Two ways in, chosen per subcommand:
//   - the controller's gRPC API (cluster, brokers, partitions, objects): what only a
//     cluster's controller knows or does — `stratus dev` serves no controller API;
//   - the Kafka protocol against the brokers (topics, groups), through the project's own
//     codec: works against `stratus dev` and a cluster alike.
// Each group of subcommands is a file of this directory; this one parses the command line
// and opens, lazily, only the connections the subcommand uses.

import { parseArgs } from 'node:util';
import { parseDurationMs } from '../../config/duration.ts';
import { connectController, controllerConfigured } from './connect.ts';
import type { ControllerConnection } from './connect.ts';
import { clusterCommand } from './cluster.ts';
import { brokerId, brokersDrainCommand, brokersListCommand, brokersUndrainCommand } from './brokers.ts';
import { partitionsReassignCommand, reassignArgs } from './partitions.ts';
import { configPairs, partitionCount, topicsAlterCommand, topicsCreateCommand, topicsDeleteCommand, topicsDescribeCommand, topicsListCommand } from './topics.ts';
import { groupsDescribeCommand, groupsListCommand } from './groups.ts';
import { groupsResetOffsetsCommand, resetArgs } from './group-reset.ts';
import { objectsCommand } from './objects.ts';
import { metricsUrl } from './metrics-scrape.ts';
import { completionScript, COMPLETION_SHELLS } from './completion.ts';
import { KafkaCallError } from './kafka-connection.ts';
import type { KafkaAdmin } from './kafka-admin.ts';
import { connectKafka, DEV_BOOTSTRAP } from './kafka-target.ts';
import { ADMIN_EXIT, AdminExit, createOutput, usageError } from './output.ts';
import type { Output } from './output.ts';
import { DEFAULT_WAIT_TIMEOUT } from './wait.ts';

export const ADMIN_USAGE = `usage: stratus admin cluster [--json]
       stratus admin brokers list [--json]
       stratus admin brokers drain ID [--wait [--timeout DUR]] [--json]
       stratus admin brokers undrain ID [--json]
       stratus admin partitions reassign --topic T --partition P[,P...] --to BROKER [--wait [--timeout DUR]] [--json]
       stratus admin objects [--metrics HOST:PORT[,HOST:PORT]] [--json]
       stratus admin topics list [--json]
       stratus admin topics create NAME [--partitions N] [--config KEY=VALUE]... [--json]
       stratus admin topics describe NAME [--json]
       stratus admin topics alter NAME [--partitions N] [--set KEY=VALUE]... [--delete-config KEY]... [--json]
       stratus admin topics delete NAME... [--json]
       stratus admin groups list [--json]
       stratus admin groups describe GROUP [--json]
       stratus admin groups reset-offsets GROUP (--topic T[:P,P...]... | --all-topics)
                 (--to-earliest | --to-latest | --to-datetime TIME | --to-offset N) [--execute] [--json]
       stratus admin completion bash|zsh

through a cluster's controller (not \`stratus dev\`, which serves no controller API):
  cluster               brokers (addresses per listener, rack, epoch, fenced/suspected/
                        draining, partitions led, lease), the active controller, the
                        metadata version, the moves under way
  brokers list          the brokers alone
  brokers drain ID      move every partition broker ID leads to the others and give it no
                        new ones (before removing it); --wait: until it leads none
  brokers undrain ID    let the controller give it partitions again
  partitions reassign   move the partitions' leadership to broker --to (graceful hand-over);
                        --wait: until it leads them
  objects               per topic: objects holding its data, extents, bytes, compaction
                        backlog (extents still in upload objects); --metrics: object-store
                        requests (PUT, GET, ...) read from those processes' /metrics (this
                        part works against stratus dev too: --metrics 127.0.0.1:9644)

through the brokers' Kafka protocol (a cluster or \`stratus dev\`):
  topics list|create|describe|alter|delete
                        describe: partitions with leader and start/end offsets, configs;
                        alter: --partitions N raises the count, --set / --delete-config
  groups list           every consumer group, its state and coordinator
  groups describe       members, and per partition the committed offset, end offset, lag
  groups reset-offsets  prints the plan (current and new offset per partition) and changes
                        nothing; --execute commits it, refused while the group has members

  completion bash|zsh   a completion script: source <(stratus admin completion bash)

options:
  --controller HOST:PORT[,HOST:PORT]   the controllers' gRPC addresses (default:
                        STRATUS_CONTROLLER_ENDPOINTS, as a broker reads it; the other
                        STRATUS_CONTROLLER_* settings of a broker apply too: timeouts, TLS)
  --bootstrap-server HOST:PORT[,HOST:PORT]   brokers for topics and groups (default: the
                        live brokers the controller knows when one is given, else
                        ${DEV_BOOTSTRAP}, stratus dev's)
  --json                one JSON document on stdout (progress goes to stderr)
  --wait                wait for a drain or reassignment to finish (a progress bar on a
                        terminal)
  --timeout DUR         how long --wait waits (default ${DEFAULT_WAIT_TIMEOUT}; 500ms, 30s, 5m, PT10M)
  --to-datetime TIME    ISO 8601, UTC unless it has an offset (2026-12-06T14:00:00), or epoch ms

exit codes: 0 done; 1 an operation failed (the controller or a broker refused an item, a
wait timed out, a reset refused while the group has members); 2 wrong usage, or no
controller or broker answered.`;

const OPTIONS = {
  controller: { type: 'string' },
  'bootstrap-server': { type: 'string' },
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  topic: { type: 'string', multiple: true },
  partition: { type: 'string' },
  to: { type: 'string' },
  partitions: { type: 'string' },
  config: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  'delete-config': { type: 'string', multiple: true },
  'all-topics': { type: 'boolean' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-datetime': { type: 'string' },
  'to-offset': { type: 'string' },
  execute: { type: 'boolean' },
  metrics: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Option = keyof typeof OPTIONS;
type Values = { [K in Option]?: (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : (typeof OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** What a subcommand is given: its output and the connections, opened on first use. */
export interface AdminContext {
  readonly out: Output;
  controller(): Promise<ControllerConnection>;
  kafka(): Promise<KafkaAdmin>;
  /** Whether --controller or STRATUS_CONTROLLER_ENDPOINTS was given. */
  readonly hasController: boolean;
}

/**
 * A subcommand: the options it takes besides the common ones, its positionals (at least
 * `min`, at most `max`), and `prepare`, which checks its arguments before anything
 * connects and returns what it does.
 */
interface Subcommand {
  readonly options: readonly Option[];
  readonly positionals: { readonly min: number; readonly max: number };
  prepare(values: Values, positionals: readonly string[]): (ctx: AdminContext) => Promise<number>;
}

/** Options every subcommand takes. */
const COMMON: readonly Option[] = ['controller', 'bootstrap-server', 'json', 'help'];

function waitOption(values: Values): { timeoutMs: number } | undefined {
  if (values.wait !== true) return undefined;
  const ms = parseDurationMs(values.timeout ?? DEFAULT_WAIT_TIMEOUT);
  if (typeof ms === 'string') throw usageError(`--timeout: ${ms}`);
  return { timeoutMs: ms };
}

const none = { min: 0, max: 0 };
const one = { min: 1, max: 1 };
const onController =
  (run: (conn: ControllerConnection, out: Output) => Promise<number>) =>
  async (ctx: AdminContext): Promise<number> =>
    run(await ctx.controller(), ctx.out);
const onKafka =
  (run: (kafka: KafkaAdmin, out: Output) => Promise<number>) =>
  async (ctx: AdminContext): Promise<number> =>
    run(await ctx.kafka(), ctx.out);
const named = (what: string, raw: string | undefined): string => {
  if (raw === undefined || raw === '') throw usageError(`${what} needs a name`);
  return raw;
};

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  cluster: { options: [], positionals: none, prepare: () => onController(clusterCommand) },
  'brokers list': { options: [], positionals: none, prepare: () => onController(brokersListCommand) },
  'brokers drain': {
    options: ['wait', 'timeout'],
    positionals: one,
    prepare: (v, p) => {
      const id = brokerId(p[0], 'drain');
      const wait = waitOption(v);
      return onController((conn, out) => brokersDrainCommand(conn, out, id, wait));
    },
  },
  'brokers undrain': {
    options: [],
    positionals: one,
    prepare: (_v, p) => {
      const id = brokerId(p[0], 'undrain');
      return onController((conn, out) => brokersUndrainCommand(conn, out, id));
    },
  },
  'partitions reassign': {
    options: ['topic', 'partition', 'to', 'wait', 'timeout'],
    positionals: none,
    prepare: (v) => {
      if ((v.topic?.length ?? 0) > 1) throw usageError('partitions reassign takes one --topic');
      const args = reassignArgs({ topic: v.topic?.[0], partitions: v.partition, to: v.to });
      const wait = waitOption(v);
      return onController((conn, out) => partitionsReassignCommand(conn, out, args, wait));
    },
  },
  objects: {
    options: ['metrics'],
    positionals: none,
    prepare: (v) => {
      const metrics = (v.metrics ?? '').split(',').filter((s) => s.trim() !== '').map(metricsUrl);
      return async (ctx) => objectsCommand(ctx.hasController || metrics.length === 0 ? await ctx.controller() : undefined, ctx.out, metrics);
    },
  },
  'topics list': { options: [], positionals: none, prepare: () => onKafka(topicsListCommand) },
  'topics create': {
    options: ['partitions', 'config'],
    positionals: one,
    prepare: (v, p) => {
      const args = { name: named('topics create', p[0]), partitions: partitionCount(v.partitions), configs: configPairs('config', v.config) };
      return onKafka((kafka, out) => topicsCreateCommand(kafka, out, args));
    },
  },
  'topics describe': {
    options: [],
    positionals: one,
    prepare: (_v, p) => {
      const name = named('topics describe', p[0]);
      return onKafka((kafka, out) => topicsDescribeCommand(kafka, out, name));
    },
  },
  'topics alter': {
    options: ['partitions', 'set', 'delete-config'],
    positionals: one,
    prepare: (v, p) => {
      const args = { name: named('topics alter', p[0]), partitions: partitionCount(v.partitions), set: configPairs('set', v.set), remove: v['delete-config'] ?? [] };
      if (args.partitions === undefined && Object.keys(args.set).length === 0 && args.remove.length === 0) throw usageError('topics alter needs --partitions N, --set KEY=VALUE or --delete-config KEY');
      return onKafka((kafka, out) => topicsAlterCommand(kafka, out, args));
    },
  },
  'topics delete': {
    options: [],
    positionals: { min: 1, max: Infinity },
    prepare: (_v, p) => onKafka((kafka, out) => topicsDeleteCommand(kafka, out, p)),
  },
  'groups list': { options: [], positionals: none, prepare: () => onKafka(groupsListCommand) },
  'groups describe': {
    options: [],
    positionals: one,
    prepare: (_v, p) => {
      const group = named('groups describe', p[0]);
      return onKafka((kafka, out) => groupsDescribeCommand(kafka, out, group));
    },
  },
  'groups reset-offsets': {
    options: ['topic', 'all-topics', 'to-earliest', 'to-latest', 'to-datetime', 'to-offset', 'execute'],
    positionals: one,
    prepare: (v, p) => {
      const args = resetArgs(p[0], { topic: v.topic, allTopics: v['all-topics'], toEarliest: v['to-earliest'], toLatest: v['to-latest'], toDatetime: v['to-datetime'], toOffset: v['to-offset'], execute: v.execute });
      return onKafka((kafka, out) => groupsResetOffsetsCommand(kafka, out, args));
    },
  },
  completion: {
    options: [],
    positionals: one,
    prepare: (_v, p) => {
      const script = completionScript(p[0], completionTree());
      return () => {
        process.stdout.write(script);
        return Promise.resolve(ADMIN_EXIT.ok);
      };
    },
  },
};

/** What `completion` completes: admin's own table, so the script follows the parser. */
function completionTree() {
  const subcommands: Record<string, readonly string[]> = {};
  for (const [name, sub] of Object.entries(SUBCOMMANDS)) {
    subcommands[name] = name === 'completion' ? [...COMPLETION_SHELLS] : [...sub.options, ...COMMON].map((o) => `--${o}`);
  }
  const valueOptions = (Object.keys(OPTIONS) as Option[]).filter((o) => OPTIONS[o].type === 'string');
  return { commands: ['dev', 'broker', 'controller', 'config', 'admin'], subcommands, valueOptions };
}

/** The subcommand the positionals name (one word or two), and the positionals after it. */
function findSubcommand(positionals: readonly string[]): { name: string; sub: Subcommand; rest: string[] } {
  for (const words of [2, 1]) {
    const name = positionals.slice(0, words).join(' ');
    const sub = SUBCOMMANDS[name];
    if (sub !== undefined && positionals.length >= words) return { name, sub, rest: positionals.slice(words) };
  }
  if (positionals.length === 0) throw usageError('which command?');
  const group = Object.keys(SUBCOMMANDS).filter((n) => n.startsWith(`${positionals[0]} `));
  if (group.length > 0) throw usageError(`${positionals[0]}: which one? ${group.map((n) => n.split(' ')[1]).join(', ')}`);
  throw usageError(`unknown command '${positionals.slice(0, 2).join(' ')}'`);
}

function parse(argv: readonly string[]): { run: (ctx: AdminContext) => Promise<number>; values: Values } | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const values = parsed.values as Values;
  if (values.help === true) return 'help';
  const { name, sub, rest } = findSubcommand(parsed.positionals);
  if (rest.length > sub.positionals.max) throw usageError(`${name}: unexpected argument ${rest[sub.positionals.max]}`);
  if (rest.length < sub.positionals.min) throw usageError(`${name}: missing argument (stratus admin --help)`);
  for (const key of Object.keys(values) as Option[]) {
    if (!COMMON.includes(key) && !sub.options.includes(key)) throw usageError(`--${key} does not apply to '${name}'`);
  }
  if (values.timeout !== undefined && values.wait !== true) throw usageError('--timeout goes with --wait');
  return { run: sub.prepare(values, rest), values };
}

export async function runAdmin(argv: readonly string[]): Promise<number> {
  let controller: Promise<ControllerConnection> | undefined;
  let kafka: Promise<KafkaAdmin> | undefined;
  try {
    const p = parse(argv);
    if (p === 'help') {
      console.log(ADMIN_USAGE);
      return ADMIN_EXIT.ok;
    }
    const hasController = controllerConfigured(p.values.controller);
    const ctx: AdminContext = {
      out: createOutput(p.values.json === true),
      hasController,
      controller: () => (controller ??= connectController(p.values.controller)),
      kafka: () => (kafka ??= connectKafka(p.values['bootstrap-server'], hasController ? ctx.controller : undefined)),
    };
    return await p.run(ctx);
  } catch (e) {
    if (e instanceof AdminExit) {
      console.error(`stratus admin: ${e.message}${e.showUsage ? `\n\n${ADMIN_USAGE}` : ''}`);
      return e.code;
    }
    if (e instanceof KafkaCallError) {
      // A broker that stopped answering mid-command: nothing to retry here, the operator runs it again.
      console.error(`stratus admin: a broker call failed: ${e.message}. Is the broker up? Run the command again (for a change: check first with describe or list what was done).`);
      return ADMIN_EXIT.usage;
    }
    // A controller call that failed after its retries (unavailable, a timeout): the cluster could not be asked.
    console.error(`stratus admin: the controller call failed: ${(e as Error).message}`);
    return ADMIN_EXIT.usage;
  } finally {
    await Promise.allSettled([controller?.then((c) => c.client.close()), kafka?.then((k) => k.close())]);
  }
}
