import { defineConfig } from 'vitest/config';
import { reporting } from '../vitest.shared';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.e2e.test.ts'],
    // Each file starts its own daemons (and a browser); one file at a time keeps a 2-core machine responsive.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    ...reporting('e2e'),
  },
});
