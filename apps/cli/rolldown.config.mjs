// The CLI ships as one bundled file: a process that runs one command should
// not resolve and compile a few hundred module files first. The modules
// that only some commands need (each method's schemas, the configuration
// checks of `validate`) are still evaluated on first use, inside the one
// file, so `virtnet -h` builds no schema and `virtnet list` only the ones
// its answer is checked with. CommonJS, so that bin/virtnet.js can compile
// it with V8's code cache (Node 20 has none for ES modules).
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: 'apps/cli/src/main.ts',
  platform: 'node',
  tsconfig: 'apps/cli/tsconfig.json',
  // jsonc-parser's default entry is a UMD build that requires its files at run time; its ES build bundles.
  resolve: { mainFields: ['module', 'main'] },
  output: {
    dir: 'apps/cli/dist',
    format: 'cjs',
    entryFileNames: 'main.cjs',
    codeSplitting: false,
    sourcemap: true,
    minify: true,
    cleanDir: true,
  },
});
