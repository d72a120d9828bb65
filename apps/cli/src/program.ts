/**
 * The virtnet commands, with the flags of NVIDIA's virtnet. Each command
 * turns its flags into the params of one JSON-RPC method, checks them with
 * the schema the controller uses, calls, and prints the JSON answer.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  HostActionParamsSchema,
  HotplugRequestSchema,
  ModifyDeviceParamsSchema,
  ModifyQueueParamsSchema,
  QueryParamsSchema,
  StatsParamsSchema,
  UnplugParamsSchema,
  fromZodError,
  type RpcMethod,
  type Selector,
} from '@virtnet/shared';
import type { z } from 'zod';
import type { Call } from './client.js';
import { CliError } from './exit.js';
import { addParityCommands, addSriovCommand } from './parity.js';

export interface Io {
  call: Call;
  out: (text: string) => void;
  /** Progress on stderr; `newline: false` keeps the cursor on the line. */
  err: (text: string, newline?: boolean) => void;
  errIsTty: boolean;
}

function int(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

function check<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const r = schema.safeParse(params);
  if (!r.success) {
    const e = fromZodError(r.error);
    throw new CliError(e.code, e.message.replace(/^selector\.?/, '').replace(/^: /, ''), e.field, true);
  }
  return r.data;
}

interface SelectorFlags {
  pf?: number;
  vf?: number;
  vuid?: string;
  all?: boolean;
}

function selector(f: SelectorFlags): Selector {
  return {
    ...(f.pf !== undefined ? { pf_id: f.pf } : {}),
    ...(f.vf !== undefined ? { vf_id: f.vf } : {}),
    ...(f.vuid !== undefined ? { vuid: f.vuid } : {}),
    ...(f.all ? { all: true } : {}),
  };
}

const pfOption = () => new Option('-p, --pf <id>', 'physical function id').argParser(int);
const vfOption = () => new Option('-v, --vf <id>', 'virtual function id (with -p)').argParser(int);
const vuidOption = () => new Option('-u, --vuid <vuid>', 'VUID of the device');

export function buildProgram(io: Io, version: string): Command {
  const program = new Command('virtnet')
    .description('Manage the virtio-net devices of the virtnet controller. Every command prints JSON.')
    .version(version, '-V, --version', "print the CLI's version")
    .addOption(new Option('--socket <path>', "controller socket (default $VIRTNET_HOME/virtnet.sock)").env('VIRTNET_SOCKET'))
    .enablePositionalOptions()
    .showHelpAfterError(false);
  // The real virtnet prints its own version with -v; -v stays free for --vf in subcommands.
  program.option('-v', "print the CLI's version");

  const run = async (method: RpcMethod, params: unknown) => io.out(JSON.stringify(await io.call(method, params), null, 2));

  program
    .command('list')
    .description('controller summary and every device')
    .action(() => run('list', {}));

  program
    .command('query')
    .description('detailed information of all devices (-a) or one (-p [-v] or -u)')
    .option('-a, --all', 'every device')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .option('-b, --brief', 'leave out queue information')
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue').argParser(int))
    .action((f: SelectorFlags & { brief?: boolean; queue_id?: number }) =>
      run('query', check(QueryParamsSchema, { selector: selector(f), brief: !!f.brief, ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}) })),
    );

  program
    .command('stats')
    .description('per-queue packet counters and size histogram of one device (-p [-v] or -u)')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue').argParser(int))
    .action((f: SelectorFlags & { queue_id?: number }) =>
      run('stats', check(StatsParamsSchema, { selector: selector(f), ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}) })),
    );

  program
    .command('hotplug')
    .description('hot-plug a virtio-net PF into a free switch port')
    .requiredOption('-i, --ib_device <dev>', 'ib device the SF is created on, e.g. mlx5_0')
    .requiredOption('-m, --mac <mac>', 'MAC address, e.g. 0C:C4:7A:FF:22:93')
    .addOption(new Option('-t, --mtu <mtu>', 'MTU').argParser(int).makeOptionMandatory())
    .addOption(new Option('-n, --num_queues <n>', 'virtqueues: RX/TX pairs, plus the control queue when odd').argParser(int).makeOptionMandatory())
    .addOption(new Option('-s, --max_queue_size <n>', 'entries per virtqueue (power of two)').argParser(int).makeOptionMandatory())
    .addOption(new Option('-u, --sf_num <n>', 'SF number (default: next free)').argParser(int))
    .option('-f, --features <hex>', 'feature bits added to the default set, e.g. 0x80000 (CTRL_VLAN)')
    .option('-l, --legacy', 'transitional device (virtio 0.95 interface too)')
    .action((f: { ib_device: string; mac: string; mtu: number; num_queues: number; max_queue_size: number; sf_num?: number; features?: string; legacy?: boolean }) =>
      run(
        'hotplug',
        check(HotplugRequestSchema, {
          ib_device: f.ib_device,
          mac: f.mac,
          mtu: f.mtu,
          num_queues: f.num_queues,
          max_queue_size: f.max_queue_size,
          ...(f.sf_num !== undefined ? { sf_num: f.sf_num } : {}),
          ...(f.features !== undefined ? { features: f.features } : {}),
          legacy: !!f.legacy,
        }),
      ),
    );

  program
    .command('unplug')
    .description('unplug a hot-plugged device')
    .addOption(pfOption())
    .addOption(vuidOption())
    .action((f: SelectorFlags) => run('unplug', check(UnplugParamsSchema, { selector: selector(f) })));

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
    .action((f: { mac?: string; mtu?: number; features?: string; max_queue_size?: number; num_msix?: number }) => {
      const device = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
      return run('modify_device', check(ModifyDeviceParamsSchema, { selector: selector(modify.opts()), device }));
    });

  modify
    .command('queue')
    .description('interrupt moderation of every queue of the device')
    .addOption(new Option('-e, --event_mode <mode>', 'period restarts on each event or each completion').choices(['event', 'cqe']).makeOptionMandatory())
    .addOption(new Option('-n, --period <us>', 'moderation period in microseconds').argParser(int).makeOptionMandatory())
    .addOption(new Option('-c, --max_count <n>', 'completions per notification').argParser(int).makeOptionMandatory())
    .action((f: { event_mode: 'event' | 'cqe'; period: number; max_count: number }) =>
      run(
        'modify_queue',
        check(ModifyQueueParamsSchema, { selector: selector(modify.opts()), queue: { event_mode: f.event_mode, period_us: f.period, max_count: f.max_count } }),
      ),
    );

  const host = program.command('host').description('the host side: what its driver sees; the sim host can unbind, bind and run traffic');
  host
    .command('list', { isDefault: true })
    .description('host mode, vnet-host, and its driver state per device')
    .action(() => run('host', {}));
  for (const action of ['unbind', 'bind'] as const) {
    host
      .command(action)
      .description(action === 'unbind' ? "unbind the host's driver from a device (as echo BDF > .../unbind)" : "bind the host's driver again (probe, DRIVER_OK)")
      .addOption(pfOption())
      .addOption(vfOption())
      .addOption(vuidOption())
      .action((f: SelectorFlags) => run('host_action', check(HostActionParamsSchema, { selector: selector(f), action })));
  }
  host
    .command('profile')
    .description('traffic the sim host runs on a device')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .argument('<profile>', 'idle, ping or bulk')
    .action((profile: string, f: SelectorFlags) => run('host_action', check(HostActionParamsSchema, { selector: selector(f), action: 'profile', profile })));

  addSriovCommand(host, io, int);
  addParityCommands(program, io);

  program
    .command('version')
    .description("the controller's version and the CLI's")
    .action(async () => io.out(JSON.stringify({ ...(await io.call('version', {})), cli: version }, null, 2)));

  program
    .command('dashboard')
    .description("the dashboard's URL and the login URL that carries the access token (keep it private)")
    .action(() => run('dashboard', {}));

  program
    .command('health')
    .description('health of the controller: database, hardware, recovery')
    .action(() => run('health', {}));

  return program;
}
