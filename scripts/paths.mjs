// @ts-check
/** Where the built programs are, for the npm scripts, the benchmarks and the end-to-end tests. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The controller daemon, once built. */
export const CONTROLLER_MAIN = join(ROOT, 'apps/controller/dist/main.js');
/** The `virtnet` CLI (it runs the bundle apps/cli/dist/main.cjs). */
export const CLI_BIN = join(ROOT, 'apps/cli/bin/virtnet.js');
/** The C library and tools of the emulated DPU. */
export const NATIVE_DIR = join(ROOT, 'libs/hw/native');
