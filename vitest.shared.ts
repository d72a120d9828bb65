// Settings every project's Vitest config shares. When VITEST_REPORTS names a
// directory (npm test sets it), each project also writes a JSON report there,
// from which `npm test` prints one closing line for the whole run.
import { join } from 'node:path';

export function reporting(project: string) {
  const dir = process.env['VITEST_REPORTS'];
  return dir ? { reporters: ['default', 'json'], outputFile: { json: join(dir, `${project}.json`) } } : {};
}
