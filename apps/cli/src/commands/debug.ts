/**
 * `virtnet debug`, the real product's debug command: a device's rings as
 * the device and the driver see them (`virtnet debug -u VUID`), and the
 * frames where its virtqueues meet the representor, written as a pcap file
 * on the CLI's side (`virtnet debug capture -u VUID -c COUNT -w FILE`).
 */
import { Option, type Command } from 'commander';
import { checked, int, pfOption, selector, vfOption, vuidOption, type SelectorFlags } from '../flags.js';
import { writeFileWhole } from '../files.js';
import { print, run, type Io } from '../io.js';

interface CaptureFlags extends SelectorFlags {
  queue_id?: number;
  count: number;
  write: string;
  snaplen?: number;
  timeout?: number;
}

export function addDebugCommands(program: Command, io: Io): void {
  const debug = program.command('debug').description("a device's rings as the device and its driver see them; frame capture");
  debug
    .command('rings', { isDefault: true })
    .description('per queue: avail and used indices of the device and of the driver, chains in flight, the last descriptor errors')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue').argParser(int))
    .action(async (f: SelectorFlags & { queue_id?: number }) =>
      run(io, 'debug', await checked('debug', { selector: selector(f), ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}) })),
    );
  debug
    .command('capture')
    .description('capture frames where the virtqueues meet the representor, into a pcap file (tshark, tcpdump -r, Wireshark)')
    .addOption(pfOption())
    .addOption(vfOption())
    .addOption(vuidOption())
    .addOption(new Option('-q, --queue_id <qid>', 'only this queue (default: every queue)').argParser(int))
    .addOption(new Option('-c, --count <n>', 'frames to capture').argParser(int).makeOptionMandatory())
    .addOption(new Option('-w, --write <file>', 'the pcap file to write').makeOptionMandatory())
    .addOption(new Option('-s, --snaplen <bytes>', 'bytes kept of each frame (64-65535)').argParser(int))
    .addOption(new Option('-t, --timeout <seconds>', 'stop waiting for frames after this long (default 10)').argParser(int))
    .action(async (f: CaptureFlags) => {
      const params = await checked('debug_capture', {
        selector: selector(f),
        count: f.count,
        ...(f.queue_id !== undefined ? { queue_id: f.queue_id } : {}),
        ...(f.snaplen !== undefined ? { snaplen: f.snaplen } : {}),
        ...(f.timeout !== undefined ? { timeout_ms: f.timeout * 1000 } : {}),
      });
      const r = await io.call('debug_capture', params, { waitMs: params.timeout_ms });
      writeFileWhole(f.write, Buffer.from(r.pcap, 'base64'), 'write');
      print(io, { vuid: r.vuid, frames: r.frames, dropped: r.dropped, complete: r.complete, elapsed_ms: r.elapsed_ms, file: f.write });
    });
}
