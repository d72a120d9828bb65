// `npm start`: install if needed, build everything, run the controller on the
// embedded default (emulated DPU, SQLite, CLI socket, HTTP + dashboard).
import { ensureInstalled, ensureSystem, nx, must } from './lib.mjs';
import { CONTROLLER_MAIN } from './paths.mjs';

ensureSystem({ cc: 'gcc', make: 'make' });
ensureInstalled();
nx(['run-many', '-t', 'build', '--output-style=static']);
must(process.execPath, [CONTROLLER_MAIN]);
