/**
 * The virtnet commands, with the flags of NVIDIA's virtnet. Each command
 * turns its flags into the params of one JSON-RPC method, checks them with
 * the schema the controller uses, calls, and prints the JSON answer. The
 * commands live by topic in commands/; this only puts them together, in
 * the order the help lists them.
 */
import { Command, Option } from 'commander';
import { addCompletionCommand } from './commands/completion.js';
import { addContextCommands } from './commands/context.js';
import { addDebugCommands } from './commands/debug.js';
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
    .addOption(new Option('--controller <url>', 'a controller on another machine, https://HOST:PORT (needs --token-file)').env('VIRTNET_CONTROLLER'))
    .addOption(new Option('--token-file <path>', "file holding that controller's access token").env('VIRTNET_TOKEN_FILE'))
    .addOption(new Option('--ca-file <path>', "CA certificate(s) that signed the controller's certificate (PEM; default: the system's)").env('VIRTNET_CA_FILE'))
    .addOption(new Option('--context <name>', 'a named controller of the contexts file (virtnet context)').env('VIRTNET_CONTEXT'))
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
  addDebugCommands(program, io);
  addContextCommands(program, io);
  addCompletionCommand(program, io);
  addSystemCommands(program, io, version);
  return program;
}
