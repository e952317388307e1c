// Runs once before the compatibility suite: provisions the peers
// (test/peers/compat-peers.sh: kcat, confluent-kafka-python from Debian and from PyPI,
// Apache Kafka's jars, the Java programs) so no test file pays for it or races on it, and
// provides the confluent-kafka/librdkafka versions to the test files (inject('pythonClients'))
// for their test names. With a bad target setting (see mode.ts) it provisions nothing and
// lets every test file fail in its beforeAll with the reason: vitest reports a throwing
// global setup as "No test files found", which would mislead.

import type { TestProject } from 'vitest/node';
import { describeMode, targetMode } from './mode.ts';
import { provisionedPeers } from './peers.ts';

export default async function setup(project: TestProject): Promise<void> {
  let mode;
  try {
    mode = targetMode();
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    return;
  }
  const peers = await provisionedPeers();
  project.provide('pythonClients', { debian: peers.python.debian.client, pypi: peers.python.pypi.client });
  console.log(`compat: testing ${describeMode(mode, peers.kafkaVersion)}`);
  if (mode.kind !== 'stratus') {
    console.log('compat: restart.compat.ts, wal-damage.compat.ts and the chaos campaign are skipped: they start, kill and restart their own `stratus dev`, stratus mode only');
  }
  if (mode.kind === 'cluster') console.log('compat: kills and restarts of cluster processes are tested by test/cluster/*.test.ts');
}
