/** `virtnet log`: the controller's log level, shown or changed at once. */
import { Option, type Command } from 'commander';
import { LOG_LEVEL_NAMES } from '@virtnet/shared/log-levels';
import { loadRpcMethod } from '@virtnet/shared/lazy';
import { CliError } from '../exit.js';
import { print, type Io } from '../io.js';

/** Real virtnet spells some levels its own way. */
const LEVEL_ALIASES: Record<string, string> = { err: 'error', warning: 'warn', information: 'info', dbg: 'debug' };

export function addLogCommand(program: Command, io: Io): void {
  program
    .command('log')
    .description('show the log level of the controller, or set it (effective at once)')
    .addOption(new Option('-l, --level <level>', `new level: ${LOG_LEVEL_NAMES.join(', ')}`))
    .argument('[level]', 'new level (same as -l)')
    .action(async (positional: string | undefined, f: { level?: string }) => {
      const asked = f.level ?? positional;
      const level = asked === undefined ? undefined : (LEVEL_ALIASES[asked.toLowerCase()] ?? asked.toLowerCase());
      const r = (await loadRpcMethod('log')).params.safeParse(level === undefined ? {} : { level });
      if (!r.success) throw new CliError('INVALID_ARGUMENT', `level: must be one of ${LOG_LEVEL_NAMES.join(', ')}`, 'level', true);
      print(io, await io.call('log', r.data));
    });
}
