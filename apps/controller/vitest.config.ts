import { defineConfig } from 'vitest/config';
export default defineConfig({
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: { root: import.meta.dirname, include: ['src/**/*.test.ts'] },
});
