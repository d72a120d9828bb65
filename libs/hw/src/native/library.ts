/**
 * Finding and loading libvnet: VIRTNET_NATIVE_LIB first, then the package's
 * own build directory. A failure names every path tried.
 */
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_STRUCTS } from './types.js';
import { bindFunctions, type NativeFunctions } from './functions.js';

export const EXPECTED_ABI = 5;
const here = dirname(fileURLToPath(import.meta.url));

/**
 * A file of libs/hw/native/build: found by walking up from this module, so
 * that it is found from src/native (tests), dist/native (built) and from a
 * program that bundled this module into one file elsewhere in the install.
 */
export function nativeBuildFile(name: string): string {
  for (let dir = here; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'native/build', name), join(dir, 'libs/hw/native/build', name)]) if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  // A bundle whose install has no build of its own beside it: the package's, as node_modules resolves it.
  try {
    const candidate = resolve(dirname(createRequire(join(here, 'x.js')).resolve('@virtnet/hw')), '../native/build', name);
    if (existsSync(candidate)) return candidate;
  } catch {
    // not resolvable from here
  }
  return resolve(here, '../../native/build', name);
}

const PACKAGE_BUILD = nativeBuildFile('libvnet.so');

export function libraryCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env['VIRTNET_NATIVE_LIB'], PACKAGE_BUILD].filter((p): p is string => !!p);
}

let cached: { path: string; fns: NativeFunctions } | undefined;

export function loadNative(env: NodeJS.ProcessEnv = process.env): { path: string; fns: NativeFunctions } {
  if (cached) return cached;
  const tried: string[] = [];
  for (const path of libraryCandidates(env)) {
    if (!existsSync(path)) {
      tried.push(`${path} (missing)`);
      continue;
    }
    let fns: NativeFunctions;
    try {
      fns = bindFunctions(koffi.load(path));
    } catch (e) {
      tried.push(`${path} (${(e as Error).message})`);
      continue;
    }
    const abi = fns.vnet_abi_version() as number;
    if (abi !== EXPECTED_ABI) throw new Error(`${path}: ABI version ${abi}, expected ${EXPECTED_ABI}; rebuild libs/hw/native`);
    ABI_STRUCTS.forEach((type, i) => {
      const native = fns.vnet_abi_struct_size(i) as number;
      if (native !== koffi.sizeof(type))
        throw new Error(`${path}: struct ${i} is ${native} bytes in C and ${koffi.sizeof(type)} in the binding; they must match`);
    });
    cached = { path, fns };
    return cached;
  }
  throw new Error(`libvnet not found; run 'make -C libs/hw/native' or set VIRTNET_NATIVE_LIB. Tried: ${tried.join('; ')}`);
}
