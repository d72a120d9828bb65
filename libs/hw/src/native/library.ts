/**
 * Finding and loading libvnet: VIRTNET_NATIVE_LIB first, then the package's
 * own build directory. A failure names every path tried.
 */
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_STRUCTS } from './types.js';
import { bindFunctions, type NativeFunctions } from './functions.js';

export const EXPECTED_ABI = 3;
const here = dirname(fileURLToPath(import.meta.url));
/** libs/hw/native/build, from both src/native (tests) and dist/native (built). */
const PACKAGE_BUILD = resolve(here, '../../native/build/libvnet.so');

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
