import { defineConfig } from 'vitest/config';
import { reporting } from '../../vitest.shared';

export default defineConfig({
  // Nest's dependency injection reads the constructor metadata that legacy decorators emit.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    root: import.meta.dirname,
    include: ['src/**/*.test.ts'],
    ...reporting('controller'),
  },
});
