// The compatibility suite (`npm run test:compat`): real clients (kafkajs, librdkafka via kcat
// and confluent-kafka-python, the Java client and Kafka's own tools) against one broker, named
// by STRATUS_COMPAT_BOOTSTRAP or started by STRATUS_COMPAT_TARGET (test/compat/support/mode.ts).
// Files are *.compat.ts, so the root config's `npm test` does not pick them up. They run one
// at a time: each starts JVMs or brokers, and the machines have two cores.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/compat/**/*.compat.ts'],
    globalSetup: ['test/compat/support/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
