// Build step: records the code V8 compiles for the CLI bundle during one
// call, `virtnet list` against a socket where no controller listens (it
// parses flags, loads the list method's schemas and fails to connect), into
// dist/main.cjs.v8, which bin/virtnet.js hands to V8 on every call.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cache = join(here, 'dist/main.cjs.v8');
const empty = mkdtempSync(join(tmpdir(), 'virtnet-cli-build-'));
try {
  const r = spawnSync(process.execPath, [join(here, 'bin/virtnet.js'), 'list'], {
    // V8 takes a cache only under the flags it was made with: record it as a plain `node bin/virtnet.js` runs.
    env: { ...process.env, NODE_OPTIONS: '', VIRTNET_CLI_CODE_CACHE: 'write', VIRTNET_SOCKET: join(empty, 'none.sock') },
    encoding: 'utf8',
  });
  if (r.status !== 3 || !existsSync(cache)) {
    console.error(`recording the code cache failed (exit ${r.status}): ${r.stderr}`);
    process.exit(1);
  }
} finally {
  rmSync(empty, { recursive: true, force: true });
}
