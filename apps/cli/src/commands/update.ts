/** Live update and fast restart: a new controller process takes the devices over. */
import type { Command } from 'commander';
import { CliError } from '../exit.js';
import { print, type Io } from '../io.js';

export function addUpdateCommands(program: Command, io: Io): void {
  program
    .command('update')
    .description('live update: hand the devices over to the newly installed controller build')
    .option('-s, --start', 'start the live update')
    .option('-t, --status', 'status of the live update and the last result')
    .action(async (f: { start?: boolean; status?: boolean }) => {
      if (!!f.start === !!f.status) throw new CliError('USAGE', 'give exactly one of -s (start) or -t (status)', undefined, true);
      print(io, f.start ? await io.call('update_start', {}) : await io.call('update_status', {}));
    });

  program
    .command('restart')
    .description('restart the controller fast, without stopping the service: a new process takes the devices over')
    .action(async () => print(io, await io.call('restart', {})));
}
