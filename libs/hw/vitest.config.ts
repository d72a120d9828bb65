import { defineConfig } from 'vitest/config';
import { reporting } from '../../vitest.shared';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/medium/**/*.test.ts'],
    ...reporting('hw'),
  },
});
