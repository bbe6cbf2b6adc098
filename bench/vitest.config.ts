import { defineConfig } from 'vitest/config';

// `npm run bench`: measurements, not tests: nothing here asserts a time.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench-run.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
