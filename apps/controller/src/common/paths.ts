/**
 * Where the install is: the directory holding the root package.json, with
 * apps/, libs/ and prisma/ below it (the repository, or /opt/virtnet).
 * Found by walking up from this module, so that it is the same whether the
 * controller runs from its compiled modules or from its one bundled file.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'prisma'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no virtnet install above ${from} (a directory with package.json and prisma/)`);
  }
}

export const INSTALL_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
