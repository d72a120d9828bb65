/** The real controller's recovery files (one JSON file per device): imported into the database, exported from it. */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../exit.js';
import { filesOf } from '../files.js';
import { print, type Io } from '../io.js';

export function addRecoveryCommands(program: Command, io: Io): void {
  const recovery = program.command('recovery').description("the real controller's recovery files (one JSON file per device): import into the database, export from it");
  recovery
    .command('import')
    .description('create or update the devices the files in DIR describe; an invalid file is skipped with its error')
    .argument('<dir>', 'directory of recovery files')
    .action(async (dir: string) => {
      const r = await io.call('recovery_import', { files: filesOf(resolve(dir)) });
      print(io, r);
      if (r.imported.length === 0 && r.skipped.length > 0) throw new CliError('RECOVERY_RECORD_INVALID', `no file of ${dir} could be imported`);
    });
  recovery
    .command('export')
    .description('write one recovery file per device into DIR, named by VUID')
    .argument('<dir>', 'directory to write to (created if missing)')
    .action(async (dir: string) => {
      const r = await io.call('recovery_export', {});
      const path = resolve(dir);
      mkdirSync(path, { recursive: true });
      for (const f of r.files) writeFileSync(join(path, f.name), JSON.stringify(f.record, null, 2) + '\n');
      print(io, { dir: path, files: r.files.map((f) => f.name) });
    });
}
