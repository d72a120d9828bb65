/**
 * The controller's entry (`node apps/controller/dist/main.js`). It runs the
 * daemon from its one bundled file, dist/controller.cjs (made at build from
 * daemon.ts and everything it imports), compiled with the code V8 compiled
 * for it at the first start (dist/controller.cjs.v8): resolving and
 * compiling some thousand module files is most of a start otherwise, and a
 * start is what a crash, a restart and a live update wait for. A cache made
 * for another bundle (its digest differs) or by another Node version (V8
 * refuses it) is not used: the bundle is compiled and the cache made again. Without the bundle, or with
 * VIRTNET_BUNDLE=off, it runs the compiled modules.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'controller.cjs');

if (existsSync(bundle) && process.env['VIRTNET_BUNDLE'] !== 'off') {
  const source = readFileSync(bundle);
  // V8 checks a cache against the source's length only: the cache names the
  // bundle's digest, so that a rebuild of the same length never runs old code.
  const digest = createHash('sha1').update(source).digest();
  const cacheFile = `${bundle}.v8`;
  let cachedData: Buffer | undefined;
  try {
    const c = readFileSync(cacheFile);
    if (c.subarray(0, digest.length).equals(digest)) cachedData = c.subarray(digest.length);
  } catch {
    // the first start: compile, then keep what was compiled
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source.toString('utf8')}\n})`, { filename: bundle, cachedData });
  const mod = { exports: {} as { main(): Promise<void> } };
  (script.runInThisContext() as (...args: unknown[]) => void)(mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
  await mod.exports.main();
  if (!cachedData || script.cachedDataRejected) {
    // Once ready: the cache then holds the functions a start compiled, not only the top level.
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, Buffer.concat([digest, script.createCachedData()]));
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install: every start compiles
    }
  }
} else {
  await (await import('./daemon.js')).main();
}
