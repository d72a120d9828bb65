#!/usr/bin/env node
// CommonJS (bin/package.json): Node's ES module loader would add a few ms to
// every call. The bundle is compiled with the code V8 compiled for it at
// build time (dist/main.cjs.v8, made by code-cache.mjs): without it most of
// a call's time would go to parsing and compiling the bundle again. V8
// refuses a cache made by another Node version, or for other code, and
// then simply compiles.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire, wrap } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '../dist/main.cjs');
const cacheFile = `${bundle}.v8`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // no cache: compile from source
}
const script = new Script(wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
// The build runs one call with this set and keeps what V8 compiled during it, lazily compiled functions included.
if (process.env.VIRTNET_CLI_CODE_CACHE === 'write') process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
const mod = { exports: {} };
script.runInThisContext()(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
mod.exports.main(process.argv);
