// `npm start`: install if needed, build everything, run the controller on the
// embedded default (emulated DPU, SQLite, CLI socket, HTTP + dashboard).
import { ensureInstalled, ensureSystem, nx, must, ROOT } from './lib.mjs';
import { join } from 'node:path';

ensureSystem({ cc: 'gcc', make: 'make' });
ensureInstalled();
nx(['run-many', '-t', 'build', '--output-style=static']);
must(process.execPath, [join(ROOT, 'apps/controller/dist/main.js')]);
