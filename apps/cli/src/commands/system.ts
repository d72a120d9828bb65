/** The controller itself: versions, the dashboard's address, health. */
import type { Command } from 'commander';
import { print, run, type Io } from '../io.js';

export function addSystemCommands(program: Command, io: Io, version: string): void {
  program
    .command('version')
    .description("the controller's version and the CLI's")
    .action(async () => print(io, { ...(await io.call('version', {})), cli: version }));

  program
    .command('dashboard')
    .description("the dashboard's URL and the login URL that carries the access token (keep it private)")
    .action(() => run(io, 'dashboard', {}));

  program
    .command('health')
    .description('health of the controller: database, hardware, recovery')
    .action(() => run(io, 'health', {}));
}
