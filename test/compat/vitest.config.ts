// The compatibility suite (`npm run test:compat`, and the second half of `npm test`): real
// clients (kafkajs, librdkafka via kcat and confluent-kafka-python, the Java client and Kafka's
// own tools) against one broker per test file: a `stratus dev` it starts (the default),
// Apache Kafka (STRATUS_COMPAT_TARGET=kafka), a local cluster of real processes
// (STRATUS_COMPAT_TARGET=cluster: `npm run test:compat:cluster`) or a running broker
// (STRATUS_COMPAT_BOOTSTRAP); see test/compat/support/mode.ts. restart.compat.ts (stratus mode only) starts, kills and
// restarts its own Stratus processes. Files are *.compat.ts, so the root config does not pick
// them up. They run one at a time: each starts JVMs or brokers, and the machines have two cores.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    // test/chaos/chaos.compat.ts: the short chaos campaign (it starts and kills its own brokers too).
    include: ['test/compat/**/*.compat.ts', 'test/chaos/**/*.compat.ts'],
    globalSetup: ['test/compat/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
