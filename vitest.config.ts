import { defineConfig } from 'vitest/config';

// Three projects, by cost: fast deterministic unit tests; integration tests over real sockets (both run
// by `npm test`); and end-to-end runs in real time with real processes (`npm run test:e2e`, which CI runs
// too), kept out of `npm test` so the README's command stays within a few minutes on 2 cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // Vitest's default is one worker fewer than the CPUs: a single worker on 2 cores, leaving a
          // core idle through the unit run. Unit files are CPU-bound and independent, so use both.
          // Measured on the 54 files of test/unit/{mocks,connector}, 1 and 2 workers alternated on a
          // shared, loaded 2-core machine: 159 s vs 141 s, then 95 s vs 58 s.
          maxWorkers: 2,
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
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 120_000,
          // These runs mostly wait on real time (measured: 1 m 51 s of CPU in 3 m 54 s of wall clock for the
          // six files, two at a time, all passing), so two files share the 2 cores; `test:e2e` sets 2 workers.
          fileParallelism: true,
        },
      },
    ],
  },
});
