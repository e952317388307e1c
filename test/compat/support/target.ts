// The broker under test, for one test file: `const target = useTarget();` registers a
// beforeAll that connects to (or starts) the broker and an afterAll that stops what it
// started; `target().bootstrap` is its address. See mode.ts for the environment variables.
//
// In stratus mode (the default) each file gets a fresh `stratus dev` child process on a new
// data directory (about 1 s to start), stopped with SIGTERM afterwards; a non-zero exit or
// an earlier death fails the file with the broker's output. In kafka mode each file gets a
// fresh single-node Apache Kafka in a temporary directory (about 5 s to format and start).
// In cluster mode each file gets a fresh local cluster (test/cluster/lib: Redis, MinIO or
// fake-gcs-server, 2 controllers, 3 brokers; about 4 s to start) and `bootstrap` lists all three brokers; a
// process that died during the tests fails the file with its log.
// Either way files cannot disturb each other. Set STRATUS_COMPAT_KEEP=1 to keep the
// directory (Stratus: wal/, metadata/, objects/; Kafka: server.properties, broker.log, data;
// cluster: logs/, redis/, minio/, broker-N/).

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startCluster } from '../../cluster/lib/cluster.ts';
import { StratusProcess } from '../../support/stratus-process.ts';
import { targetMode } from './mode.ts';
import type { ClusterStore } from './mode.ts';
import { provisionedPeers } from './peers.ts';
import { PEERS, describeFailure, freePort, run, waitForTcp } from './process.ts';

export interface Target {
  /** host:port, or a comma-separated list of them (cluster mode: every broker). */
  readonly bootstrap: string;
  /** For messages: what is being tested. */
  readonly description: string;
}

interface Started extends Target {
  stop(): Promise<void>;
}

async function startKafka(): Promise<Started> {
  const peers = await provisionedPeers();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stratus-compat-kafka-'));
  const port = await freePort();
  const script = path.join(PEERS, 'kafka-broker.sh');
  const r = await run('bash', [script, 'start', dir, String(port)], { timeoutMs: 150_000 });
  if (r.code !== 0) throw new Error(`could not start Apache Kafka:\n${describeFailure(r)}`);
  return {
    bootstrap: `127.0.0.1:${port}`,
    description: `Apache Kafka ${peers.kafkaVersion} (started in ${dir})`,
    async stop() {
      const s = await run('bash', [script, 'stop', dir], { timeoutMs: 60_000 });
      if (s.code !== 0) throw new Error(`could not stop Apache Kafka:\n${describeFailure(s)}`);
      if (!process.env['STRATUS_COMPAT_KEEP']) await rm(dir, { recursive: true, force: true });
    },
  };
}

const STRATUS_STOP_TIMEOUT_MS = 60_000;

async function startStratus(): Promise<Started> {
  const broker = await StratusProcess.start();
  return {
    bootstrap: broker.bootstrap,
    description: `Stratus (stratus dev, data in ${broker.dataDir})`,
    async stop() {
      const diedEarly = !broker.alive;
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), STRATUS_STOP_TIMEOUT_MS)));
      const code = await Promise.race([broker.stop(), hung]);
      clearTimeout(timer);
      if (code === 'hung') await broker.kill();
      if (diedEarly || code !== 0) {
        const what = diedEarly
          ? 'died during the tests'
          : code === 'hung'
            ? `did not exit within ${STRATUS_STOP_TIMEOUT_MS} ms of SIGTERM (killed)`
            : `exited with ${String(code)} on SIGTERM`;
        throw new Error(`stratus dev ${what} (data dir ${broker.dataDir} kept):\n${broker.output.slice(-20_000)}`);
      }
      if (!process.env['STRATUS_COMPAT_KEEP']) broker.removeData();
    },
  };
}

async function startStratusCluster(objectStore: ClusterStore): Promise<Started> {
  const keep = Boolean(process.env['STRATUS_COMPAT_KEEP']);
  const cluster = await startCluster({ keep: true, objectStore });
  const nodes = [...cluster.controllers, ...cluster.brokers];
  return {
    bootstrap: cluster.bootstrap,
    description: `a Stratus cluster (brokers ${cluster.bootstrap}, data and logs in ${cluster.dataDir})`,
    async stop() {
      // A process that died while the tests ran (none of them kills one) is a failure.
      const died = nodes.filter((n) => !n.alive);
      await cluster.stop();
      if (died.length > 0) {
        throw new Error(`cluster: ${died.map((n) => n.name).join(', ')} died during the tests (data dir ${cluster.dataDir} kept):\n${died.map((n) => `--- ${n.name} ---\n${n.logTail()}`).join('\n')}`);
      }
      if (!keep) await rm(cluster.dataDir, { recursive: true, force: true });
    },
  };
}

export function useTarget(): () => Target {
  let current: Started | undefined;
  beforeAll(async () => {
    const mode = targetMode();
    if (mode.kind === 'external') {
      const [host = '', port = ''] = mode.bootstrap.split(':');
      await waitForTcp(host, Number(port), 10_000).catch((err: unknown) => {
        throw new Error(`compat: STRATUS_COMPAT_BOOTSTRAP=${mode.bootstrap}: ${String(err)}`);
      });
      current = { bootstrap: mode.bootstrap, description: `the broker at ${mode.bootstrap}`, stop: async () => undefined };
    } else if (mode.kind === 'stratus') {
      current = await startStratus();
    } else if (mode.kind === 'cluster') {
      current = await startStratusCluster(mode.objectStore);
    } else {
      current = await startKafka();
    }
  }, 180_000);
  afterAll(async () => {
    await current?.stop();
    current = undefined;
  }, 90_000);
  return () => {
    if (!current) throw new Error('compat: no target (did beforeAll fail?)');
    return current;
  };
}
