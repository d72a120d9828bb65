import { defineConfig } from 'vitest/config';
import { reporting } from '../vitest.shared';

export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['test/unit/**/*.test.ts'],
    ...reporting('scripts'),
  },
});
