// The broker under test, for one test file: `const target = useTarget();` registers a
// beforeAll that connects to (or starts) the broker and an afterAll that stops what it
// started; `target().bootstrap` is its address. See mode.ts for the environment variables.
//
// In kafka mode each file gets a fresh single-node Apache Kafka in a temporary directory
// (about 5 s to format and start), so files cannot disturb each other. Set
// STRATUS_COMPAT_KEEP=1 to keep the directory (server.properties, broker.log, data) afterwards.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { targetMode } from './mode.ts';
import { provisionedPeers } from './peers.ts';
import { PEERS, describeFailure, freePort, run, waitForTcp } from './process.ts';

export interface Target {
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
