// The daemon as one file (dist/controller.cjs), which dist/main.js runs with
// V8's code cache. Bundled from tsc's output, so that decorators and their
// metadata are exactly what tsc emitted. CommonJS: Node 20 keeps no code
// cache for ES modules. Native addons and Prisma's runtime (which loads its
// own files at run time) stay outside; so do the packages Nest only loads
// when they are installed (microservices, validation).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { defineConfig } from 'rolldown';

const here = import.meta.dirname;

// Prisma's query compiler is WebAssembly shipped as a 4 MB base64 string in
// an ES module: every start would read, parse and decode it (some 50 ms). The
// build decodes it once into dist/ and the bundle reads the binary instead;
// Prisma's own decode step takes a Buffer as it takes a string.
const WASM_MODULE = '@prisma/client/runtime/query_compiler_fast_bg.sqlite.wasm-base64.mjs';
const WASM_FILE = 'query_compiler_fast_bg.sqlite.wasm';
const VIRTUAL = '\0virtnet:prisma-wasm';
function prismaWasmBinary() {
  return {
    name: 'virtnet-prisma-wasm-binary',
    resolveId(id) {
      return id === WASM_MODULE ? VIRTUAL : null;
    },
    load(id) {
      if (id !== VIRTUAL) return null;
      return `import { readFileSync } from 'node:fs';\nimport { join } from 'node:path';\nexport const wasm = readFileSync(join(__dirname, ${JSON.stringify(WASM_FILE)}));\n`;
    },
    async generateBundle() {
      const { wasm } = await import(createRequire(import.meta.url).resolve(WASM_MODULE));
      if (typeof wasm !== 'string' || !wasm.startsWith('AGFzbQ')) this.error(`${WASM_MODULE} no longer exports the compiler as base64: see prismaWasmBinary in ${import.meta.filename}`);
      this.emitFile({ type: 'asset', fileName: WASM_FILE, source: Buffer.from(wasm, 'base64') });
    },
  };
}

export default defineConfig({
  input: join(here, 'dist/daemon.js'),
  platform: 'node',
  plugins: [prismaWasmBinary()],
  // jsonc-parser's default entry is a UMD build that requires its files at run time; its ES build bundles.
  resolve: { mainFields: ['module', 'main'] },
  external: [
    /^node:/,
    'better-sqlite3',
    'koffi',
    // Prisma's runtime, but not the compiler's base64 module, which prismaWasmBinary replaces
    /^@prisma\/(?!client\/runtime\/query_compiler_fast_bg\.sqlite\.wasm-base64\.mjs$)/,
    'pino-pretty',
    /^@nestjs\/microservices/,
    '@nestjs/websockets/socket-module',
    'class-transformer',
    'class-validator',
    '@fastify/static',
    '@nestjs/platform-socket.io',
  ],
  output: {
    file: join(here, 'dist/controller.cjs'),
    format: 'cjs',
    // import() of a package outside becomes require(): vm.Script (see main.ts) has no loader for import() in Node 20
    dynamicImportInCjs: false,
    codeSplitting: false,
    sourcemap: true,
    minify: { mangle: false, compress: true, codegen: { removeWhitespace: true } },
    // Nest names providers, controllers and log contexts by their class names.
    keepNames: true,
  },
});
