import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'sample-data/**/*.test.ts', 'app/**/*.test.ts'],
    // remote zarr reads keep their chunks in a cache folder: the tests' own, never the user's
    env: { AUNN_HTTP_CACHE: path.join(os.tmpdir(), `aunn-test-http-cache-${process.pid}`) },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // 2-core CI machine: two test files at a time.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
