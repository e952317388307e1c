// Runs once before the compatibility suite: provisions the peers
// (test/peers/compat-peers.sh: kcat, confluent-kafka-python, Apache Kafka's jars, the Java
// programs) so no test file pays for it or races on it. With a bad target setting (see
// mode.ts) it provisions nothing and lets every test file fail in its beforeAll with the
// reason: vitest reports a throwing global setup as "No test files found", which would mislead.

import { describeMode, targetMode } from './mode.ts';
import { provisionedPeers } from './peers.ts';

export default async function setup(): Promise<void> {
  let mode;
  try {
    mode = targetMode();
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    return;
  }
  const peers = await provisionedPeers();
  console.log(`compat: testing ${describeMode(mode, peers.kafkaVersion)}`);
  if (mode.kind !== 'stratus') console.log('compat: restart.compat.ts is skipped: it starts and kills Stratus processes, stratus mode only');
}
