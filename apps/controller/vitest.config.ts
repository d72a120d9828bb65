import { defineConfig } from 'vitest/config';
import { reporting } from '../../vitest.shared';

// Tiers by folder: unit (fakes only), medium (the real SQLite, the real
// native library and DPU process, a real Nest app in this process), e2e
// (the built controller as its own process).
export default defineConfig({
  // Nest's dependency injection reads the constructor metadata that legacy decorators emit.
  oxc: { decorator: { legacy: true, emitDecoratorMetadata: true } },
  test: {
    root: import.meta.dirname,
    projects: ['unit', 'medium', 'e2e'].map((tier) => ({ extends: true, test: { name: tier, include: [`test/${tier}/**/*.test.ts`] } })),
    ...reporting('controller'),
  },
});
