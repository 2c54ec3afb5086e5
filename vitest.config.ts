import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests import the package from dist/ only, never from src/: worker threads load the built
    // files, so one copy of every module is under test. This setup fails the run when dist/ is stale.
    globalSetup: ['test/support/built.ts'],
    // Integration tests start real pinned worker threads; on a 2-CPU machine running
    // files in parallel only adds contention and flakiness.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
