import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The product version: the root package.json's, from src/common or dist/common. */
export const VERSION: string = (JSON.parse(readFileSync(resolve(here, '../../../../package.json'), 'utf8')) as { version: string }).version;
