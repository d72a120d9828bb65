// Lint, and above all the project boundaries (Nx tags in each project.json):
//   scope:shared  imports nothing but itself: no Node-only, no browser-only module
//   scope:hw      the only project that may load koffi
//   scope:rpc-client  the controller's JSON-RPC client (Node): shared only; the CLI, tests and benchmarks use it
//   apps          never import each other; they reach libs only
import nx from '@nx/eslint-plugin';

const NODE_BUILTINS = ['node:*', 'fs', 'fs/*', 'path', 'net', 'os', 'child_process', 'crypto', 'http', 'url', 'events', 'stream'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/build', '**/generated', '**/node_modules', '.nx', 'test-results', 'bench/out'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allowCircularSelfDependency: false,
          depConstraints: [
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: ['koffi', 'react', 'react-dom', '@nestjs/*', '@prisma/*', 'express', 'ws', 'pino'] },
            { sourceTag: 'scope:hw', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: ['react', 'react-dom', '@nestjs/*', '@prisma/*'] },
            { sourceTag: 'scope:rpc-client', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: ['koffi', 'react', 'react-dom', '@nestjs/*', '@prisma/*'] },
            { sourceTag: 'scope:controller', onlyDependOnLibsWithTags: ['scope:shared', 'scope:hw', 'scope:rpc-client'], bannedExternalImports: ['koffi', 'react', 'react-dom'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:rpc-client'], bannedExternalImports: ['koffi', 'react', 'react-dom', '@nestjs/*', '@prisma/*'] },
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:shared'], bannedExternalImports: ['koffi', '@nestjs/*', '@prisma/*', 'express', 'ws', 'pino'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared', 'scope:rpc-client'], bannedExternalImports: ['koffi', '@nestjs/*'] },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      // noUncheckedIndexedAccess makes index reads optional; a '!' there is a checked decision.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // A file that outgrows this holds more than one concern: split it by concern, tests included.
    files: ['apps/**/*.ts', 'apps/**/*.tsx', 'e2e/**/*.ts', 'libs/**/*.ts', 'scripts/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    // Tool configuration is not product code: it may reach the workspace's shared test settings.
    files: ['**/vitest.config.ts', '**/vite.config.ts', 'vitest.shared.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    // Shared code runs in Node and in the browser alike.
    files: ['libs/shared/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...NODE_BUILTINS, 'react', 'react-dom'] }] },
  },
  {
    // A CLI call loads only what its command needs: libs/shared's values come from its topic modules
    // (@virtnet/shared/errors, .../lazy, ...); the package index would build every schema at start.
    files: ['apps/cli/src/**/*.ts'],
    ignores: ['apps/cli/src/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: '@virtnet/shared', allowTypeImports: true, message: 'import values from a topic module of @virtnet/shared, not its index' }] },
      ],
    },
  },
  {
    // The controller's tests call it as the CLI does; the controller itself never calls itself.
    files: ['apps/controller/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['@virtnet/rpc-client'], message: 'the JSON-RPC client is for the CLI, tests and benchmarks' }] }] },
  },
  {
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: NODE_BUILTINS }] },
  },
];
