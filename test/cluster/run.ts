// `npm run cluster`: a local Stratus cluster of real processes on loopback — Redis, MinIO
// (or fake-gcs-server with --gcs), 2 controllers and 3 brokers (127.0.0.1:19092, :19093,
// :19094; racks a, b, c) — started, waited for, and described; Ctrl-C (SIGINT) or SIGTERM
// stops everything (brokers one at a time, so each hands its partitions to the others
// and uploads its WAL) and leaves nothing running.
//
//   npm run cluster -- [--brokers N] [--controllers N] [--data DIR] [--keep] [--gcs | --file]
//                      [--free-ports] (free ports instead of 19092...: for tests beside a running cluster)
//                      [--tls] (a CA and certificates in <data>/tls; controllers' gRPC with mTLS, brokers
//                      with client certificates: lib/cluster-tls.ts)
//
// Why two processes: a terminal's Ctrl-C goes to its whole foreground process group, so
// every broker, controller, Redis and MinIO would get it at once — Redis and MinIO gone
// before the brokers could upload, brokers draining onto brokers that are stopping. So
// this process starts a supervisor (this file with --supervised) in its own process
// group, which starts and owns the cluster; Ctrl-C reaches only this one, which passes
// one SIGTERM on. The supervisor also stops the cluster if this process disappears.
//
// "nothing left running" is printed by this process, and only once it is true: after the
// supervisor has exited (which it does once every process it started has exited — a
// Ctrl-C during the start included: the start is given up and what it had started is
// stopped) and its process group, where every cluster process lives, is empty. Anything
// still in that group then is killed and reported, and the exit code is 1.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster } from './lib/cluster.ts';
import type { Cluster } from './lib/cluster.ts';

const USAGE = 'usage: npm run cluster -- [--brokers N] [--controllers N] [--data DIR] [--keep] [--gcs | --file] [--log-level LEVEL] [--free-ports] [--tls]';

function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string', default: '3' },
      controllers: { type: 'string', default: '2' },
      data: { type: 'string' },
      keep: { type: 'boolean', default: false },
      gcs: { type: 'boolean', default: false },
      file: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
      'free-ports': { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      supervised: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const count = (name: string, raw: string, max: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}, got ${raw}`);
    return n;
  };
  if (values.gcs && values.file) throw new Error('--gcs and --file exclude each other');
  return {
    brokers: count('brokers', values.brokers, 26),
    controllers: count('controllers', values.controllers, 5),
    data: values.data,
    keep: values.keep,
    objectStore: values.gcs ? ('gcs' as const) : values.file ? ('file' as const) : ('minio' as const),
    logLevel: values['log-level'],
    freePorts: values['free-ports'],
    tls: values.tls,
    supervised: values.supervised,
    help: values.help,
  };
}

function describe(c: Cluster): string {
  const controllers = c.controllers.map((n) => `${n.name} gRPC ${n.spec.env['STRATUS_GRPC_PORT']}, http://127.0.0.1:${n.spec.httpPort}/metrics`).join('\n                      ');
  const brokers = c.brokers.map((b) => `${b.name} 127.0.0.1:${b.kafkaPort} (rack ${b.rack}), http://127.0.0.1:${b.spec.httpPort}/metrics`).join('\n                      ');
  return `
  A Stratus cluster is running (${c.controllers.length} controllers, ${c.brokers.length} brokers)

    Kafka bootstrap   ${c.bootstrap}
    Brokers           ${brokers}
    Controllers       ${controllers}
    Metadata          ${c.redis.url} (AOF, appendfsync always)
    Objects           ${c.objectStore.url}
    Logs              ${c.logDir}/<name>.log
    Data              ${c.dataDir}

  Try it:
    kcat -b ${c.bootstrap} -L
    echo "hello cluster" | kcat -b ${c.bootstrap} -t quickstart -P
${c.tls === undefined ? '' : tlsLines(c)}
  Ctrl-C stops everything.

`;
}

/** With --tls: where the certificates are, and how `stratus admin` reaches the controllers with one. */
function tlsLines(c: Cluster): string {
  const t = c.tls!;
  const env = Object.entries(t.adminEnv).map(([k, v]) => `${k}=${v}`).join(' \\\n      ');
  const endpoints = c.controllers.map((n) => `127.0.0.1:${n.spec.env['STRATUS_GRPC_PORT']}`).join(',');
  return `
  Controllers' gRPC: mTLS, certificates CN=broker and CN=stratus-admin of the CA in ${t.dir}
    ${env} \\
      node services/cli/src/main.ts admin cluster --controller ${endpoints}
`;
}

async function supervise(o: ReturnType<typeof options>): Promise<number> {
  const parent = process.ppid;
  process.stdout.write('starting Redis, the object store, controllers and brokers...\n');
  const started = Date.now();
  const giveUp = new AbortController();
  // The signal handlers below are installed in the same tick: no signal is handled before them.
  const starting = startCluster({
    brokers: o.brokers,
    controllers: o.controllers,
    ...(o.data !== undefined ? { dataDir: o.data } : {}),
    keep: o.keep || o.data !== undefined,
    objectStore: o.objectStore,
    ports: o.freePorts ? 'free' : 'fixed',
    logLevel: o.logLevel,
    tls: o.tls,
    signal: giveUp.signal,
  });
  let stopping: Promise<void> | undefined;
  const stop = (why: string): Promise<void> => {
    stopping ??= (async () => {
      process.stdout.write(`\n${why}: stopping the cluster (brokers one by one, then controllers, Redis and the object store)...\n`);
      // Still starting: startCluster gives up, stops what it had started and rejects.
      giveUp.abort(new Error(`${why} while starting`));
      const cluster = await starting.catch(() => undefined);
      await cluster?.stop();
      const kept = o.keep || o.data !== undefined ? (cluster?.dataDir ?? o.data) : undefined;
      if (kept !== undefined) process.stdout.write(`data and logs kept in ${kept}\n`);
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  process.on('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  // The foreground process gone (killed): stop rather than leave a cluster nobody can Ctrl-C.
  setInterval(() => {
    if (process.ppid !== parent) void stop('the launcher is gone').then(() => process.exit(0));
  }, 1000).unref();
  let cluster: Cluster;
  try {
    cluster = await starting;
  } catch (e) {
    if (stopping !== undefined) {
      await stopping;
      return 0;
    }
    process.stderr.write(`the cluster did not start: ${(e as Error).message}\n`);
    return 1;
  }
  if (stopping !== undefined) {
    await stopping; // a signal came as the start ended: stop() stops it
    return 0;
  }
  process.stdout.write(describe(cluster) + `  (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n\n`);
  await new Promise(() => undefined); // until a signal
  return 0;
}

/** Whether any process is left in process group `pgid` (the supervisor's: it and everything it started). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How long what outlived the supervisor gets to die after SIGKILL before this gives up saying so. */
const STRAGGLER_KILL_MS = 10_000;

/**
 * After the supervisor exited: kills whatever is still in its group and waits until the
 * group is empty. Resolves with whether something had to be killed, or throws when the
 * group did not empty.
 */
async function killStragglers(pgid: number): Promise<boolean> {
  if (!groupAlive(pgid)) return false;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    return false; // gone in between
  }
  const deadline = Date.now() + STRAGGLER_KILL_MS;
  while (groupAlive(pgid)) {
    if (Date.now() > deadline) throw new Error(`processes of group ${pgid} are still there ${STRAGGLER_KILL_MS / 1000} s after SIGKILL`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function launch(argv: string[]): void {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--supervised'], { detached: true, stdio: 'inherit' });
  let signals = 0;
  const forward = (): void => {
    signals++;
    if (child.pid === undefined) return;
    if (signals === 1) child.kill('SIGTERM');
    else {
      process.stderr.write('second signal: killing everything at once\n');
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('exit', (code, signal) => {
    const exitCode = code ?? (signal !== null ? 1 : 0);
    if (child.pid === undefined) process.exit(exitCode);
    killStragglers(child.pid).then(
      (killed) => {
        if (killed) {
          process.stderr.write('processes of the cluster outlived its supervisor: killed them; nothing left running now\n');
          process.exit(1);
        }
        if (signals > 0) process.stdout.write('stopped; nothing left running\n');
        process.exit(exitCode);
      },
      (e: unknown) => {
        process.stderr.write(`${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  });
}

const argv = process.argv.slice(2);
let o;
try {
  o = options(argv);
} catch (e) {
  console.error(`${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (o.help) console.log(USAGE);
else if (o.supervised) supervise(o).then((code) => process.exit(code), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
else launch(argv);
