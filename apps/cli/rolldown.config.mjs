// The CLI ships as one bundled file: a process that runs one command should
// not resolve and compile a few hundred module files first. The modules
// that only some commands need (each method's schemas, the configuration
// checks of `validate`) are still evaluated on first use, inside the one
// file, so `virtnet -h` builds no schema and `virtnet list` only the ones
// its answer is checked with. CommonJS, so that bin/virtnet.js can compile
// it with V8's code cache (Node 20 has none for ES modules).
import { join } from 'node:path';
import { defineConfig } from 'rolldown';

const here = import.meta.dirname;

export default defineConfig({
  input: join(here, 'src/main.ts'),
  platform: 'node',
  tsconfig: join(here, 'tsconfig.json'),
  // jsonc-parser's default entry is a UMD build that requires its files at run time; its ES build bundles.
  resolve: { mainFields: ['module', 'main'] },
  output: {
    dir: join(here, 'dist'),
    format: 'cjs',
    entryFileNames: 'main.cjs',
    codeSplitting: false,
    sourcemap: true,
    // Less text to read at every call; main.cjs.map maps it back.
    minify: true,
    cleanDir: true,
  },
});
