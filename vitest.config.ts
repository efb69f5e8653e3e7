import { defineConfig } from 'vitest/config';
import SlowFirstSequencer from './test/support/slow-first-sequencer.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/test-hashing-cost.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Suites mostly wait on PostgreSQL, Chromium, SMTP and timers: three at once keep both cores busy.
    maxWorkers: 3,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
