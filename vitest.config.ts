import { defineConfig } from 'vitest/config';

// Two projects: pure logic runs in parallel; kernel tests build real namespaces, need root,
// and run one file at a time so that their captures and timings do not disturb each other.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'images/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'kernel',
          include: ['test/kernel/**/*.test.ts'],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          globalSetup: ['test/kernel/global-setup.ts'],
        },
      },
    ],
  },
});
