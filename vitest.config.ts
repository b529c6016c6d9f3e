import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One initdb'd PGlite cluster, dumped once; every in-memory test database starts from it.
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more parallel files only contend for PostgreSQL and the CPU.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
