import { configDefaults, defineConfig } from 'vitest/config';

// The unit and integration suite (`npm run test:unit`; `npm test` runs it, then the
// compatibility suite of test/compat/vitest.config.ts). Compatibility files are *.compat.ts
// and excluded here as well: they start brokers and JVMs and must run one at a time.
export default defineConfig({
  test: {
    include: ['libs/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/compat/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two-core machines: real-client tests start processes; keep parallelism modest.
    maxWorkers: 2,
  },
});
