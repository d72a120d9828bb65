/**
 * The virtnet commands, with the flags of NVIDIA's virtnet. Each command
 * turns its flags into the params of one JSON-RPC method, checks them with
 * the schema the controller uses, calls, and prints the JSON answer. The
 * commands live by topic in commands/; this only puts them together, in
 * the order the help lists them.
 */
import { Command, Option } from 'commander';
import { addCompletionCommand } from './commands/completion.js';
import { addDeviceCommands } from './commands/devices.js';
import { addHostCommands } from './commands/host.js';
import { addLogCommand } from './commands/log.js';
import { addModifyCommand } from './commands/modify.js';
import { addRecoveryCommands } from './commands/recovery.js';
import { addSystemCommands } from './commands/system.js';
import { addUpdateCommands } from './commands/update.js';
import { addValidateCommand } from './commands/validate.js';
import type { Io } from './io.js';

export function buildProgram(io: Io, version: string): Command {
  const program = new Command('virtnet')
    .description('Manage the virtio-net devices of the virtnet controller. Every command prints JSON.')
    .version(version, '-V, --version', "print the CLI's version")
    .addOption(new Option('--socket <path>', "controller socket (default $VIRTNET_HOME/virtnet.sock)").env('VIRTNET_SOCKET'))
    .enablePositionalOptions()
    .showHelpAfterError(false);
  // The real virtnet prints its own version with -v; -v stays free for --vf in subcommands.
  program.option('-v', "print the CLI's version");

  addDeviceCommands(program, io);
  addModifyCommand(program, io);
  addHostCommands(program, io);
  addLogCommand(program, io);
  addValidateCommand(program, io);
  addUpdateCommands(program, io);
  addRecoveryCommands(program, io);
  addCompletionCommand(program, io);
  addSystemCommands(program, io, version);
  return program;
}
