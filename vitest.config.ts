import { defineConfig } from 'vitest/config';

// Two projects: fast deterministic unit tests, and integration tests over real sockets.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Integration tests bind real ports and spawn processes: keep them from fighting for 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
