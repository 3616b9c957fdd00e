import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/setup/postgres.ts'],
    // Real Postgres, real training: generous per-test limits, and no more workers than
    // the two cores of the build machines.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default', './tests/setup/summary-reporter.ts'],
  },
});
