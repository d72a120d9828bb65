/** The device commands of NVIDIA's virtnet: list, query, stats, hotplug, unplug. */
import { Option, type Command } from 'commander';
import { checked, int, pfOption, selector, vfOption, vuidOption, type SelectorFlags } from '../flags.js';
import { run, type Io } from '../io.js';

interface HotplugFlags {
  ib_device: string;
  mac: string;
  mtu: number;
  num_queues: number;
  max_queue_size: number;
  sf_num?: number;
  features?: string;
  legacy?: boolean;
}

export function addDeviceCommands(program: Command, io: Io): void {
  program
    .command('list')
    .description('controller summary and every device')
    .action(() => run(io, 'list', {}));

  program
    .command('query')
    .description('detailed information of all devices (-a) or one (-p [-v] or -u)')
    .option('-a, --all', 'every device')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .option('-b, --brief', 'leave out queue information')
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue').argParser(int))
    .action(async (f: SelectorFlags & { brief?: boolean; queue_id?: number }) =>
      run(io, 'query', await checked('query', { selector: selector(f), brief: !!f.brief, ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}) })),
    );

  program
    .command('stats')
    .description('per-queue packet counters and size histogram of one device (-p [-v] or -u)')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue').argParser(int))
    .action(async (f: SelectorFlags & { queue_id?: number }) =>
      run(io, 'stats', await checked('stats', { selector: selector(f), ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}) })),
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
    .action(async (f: HotplugFlags) =>
      run(
        io,
        'hotplug',
        await checked('hotplug', {
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
    .action(async (f: SelectorFlags) => run(io, 'unplug', await checked('unplug', { selector: selector(f) })));
}
