/** `virtnet host`: the host side, what its driver sees; the sim host can unbind, bind and run traffic. */
import type { Command } from 'commander';
import { checked, pfOption, selector, vfOption, vuidOption, type SelectorFlags } from '../flags.js';
import { run, type Io } from '../io.js';
import { addSriovCommand } from './sriov.js';

export function addHostCommands(program: Command, io: Io): void {
  const host = program.command('host').description('the host side: what its driver sees; the sim host can unbind, bind and run traffic');
  host
    .command('list', { isDefault: true })
    .description('host mode, vnet-host, and its driver state per device')
    .action(() => run(io, 'host', {}));
  for (const action of ['unbind', 'bind'] as const) {
    host
      .command(action)
      .description(action === 'unbind' ? "unbind the host's driver from a device (as echo BDF > .../unbind)" : "bind the host's driver again (probe, DRIVER_OK)")
      .addOption(pfOption())
      .addOption(vfOption())
      .addOption(vuidOption())
      .action(async (f: SelectorFlags) => run(io, 'host_action', await checked('host_action', { selector: selector(f), action })));
  }
  host
    .command('profile')
    .description('traffic the sim host runs on a device')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .argument('<profile>', 'idle, ping or bulk')
    .action(async (profile: string, f: SelectorFlags) => run(io, 'host_action', await checked('host_action', { selector: selector(f), action: 'profile', profile })));
  addSriovCommand(host, io);
}
