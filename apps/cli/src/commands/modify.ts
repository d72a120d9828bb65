/** `virtnet modify`: device settings or interrupt moderation, with the selector before the subcommand. */
import { Option, type Command } from 'commander';
import { checked, int, pfOption, selector, vfOption, vuidOption } from '../flags.js';
import { run, type Io } from '../io.js';

export function addModifyCommand(program: Command, io: Io): void {
  const modify = program
    .command('modify')
    .description('modify device or queue settings of one device (-p [-v] or -u) or all (-a)')
    .option('-a, --all', 'every device')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .enablePositionalOptions()
    .passThroughOptions();

  modify
    .command('device')
    .description('MAC, MTU, features, max queue size, MSI-X (VFs); the host driver must be unbound')
    .option('-m, --mac <mac>', 'new MAC address')
    .addOption(new Option('-t, --mtu <mtu>', 'new MTU').argParser(int))
    .option('-f, --features <hex>', 'the full feature set the device offers')
    .addOption(new Option('-q, --max_queue_size <n>', 'new max queue size').argParser(int))
    .addOption(new Option('-n, --num_msix <n>', 'MSI-X vectors (VFs only)').argParser(int))
    .action(async (f: { mac?: string; mtu?: number; features?: string; max_queue_size?: number; num_msix?: number }) => {
      const device = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
      return run(io, 'modify_device', await checked('modify_device', { selector: selector(modify.opts()), device }));
    });

  modify
    .command('queue')
    .description('interrupt moderation of every queue of the device')
    .addOption(new Option('-e, --event_mode <mode>', 'period restarts on each event or each completion').choices(['event', 'cqe']).makeOptionMandatory())
    .addOption(new Option('-n, --period <us>', 'moderation period in microseconds').argParser(int).makeOptionMandatory())
    .addOption(new Option('-c, --max_count <n>', 'completions per notification').argParser(int).makeOptionMandatory())
    .action(async (f: { event_mode: 'event' | 'cqe'; period: number; max_count: number }) =>
      run(
        io,
        'modify_queue',
        await checked('modify_queue', { selector: selector(modify.opts()), queue: { event_mode: f.event_mode, period_us: f.period, max_count: f.max_count } }),
      ),
    );
}
