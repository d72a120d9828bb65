/** `virtnet host sriov`: the host writes sriov_numvfs of a static PF, as on Linux. */
import { Option, type Command } from 'commander';
import { loadRpcMethod } from '@virtnet/shared/lazy';
import { CliError } from '../exit.js';
import { int } from '../flags.js';
import { print, type Io } from '../io.js';
import { withProgress } from '../progress.js';

export function addSriovCommand(host: Command, io: Io): void {
  host
    .command('sriov')
    .description('the host enables N VFs on a static PF (as echo N > sriov_numvfs), or 0 to remove them; without -p, each PF\'s state')
    .addOption(new Option('-p, --pf <id>', 'static PF').argParser(int))
    .argument('[num_vfs]', 'VFs to enable; 0 disables them')
    .option('--progress', 'stream the operation as JSON lines on stderr')
    .option('--no-progress', 'no progress line on a terminal')
    .action(async (num: string | undefined, f: { pf?: number; progress?: boolean }) => {
      if (f.pf === undefined && num === undefined) return print(io, await io.call('sriov', {}));
      if (f.pf === undefined || num === undefined) throw new CliError('USAGE', 'give both the PF and the count: virtnet host sriov -p PF N', undefined, true);
      if (!/^\d+$/.test(num)) throw new CliError('INVALID_ARGUMENT', 'num_vfs: must be a non-negative integer', 'num_vfs', true);
      const params = (await loadRpcMethod('set_vfs')).params.safeParse({ pf_id: f.pf, num_vfs: Number(num) });
      if (!params.success) throw new CliError('INVALID_ARGUMENT', `num_vfs: ${params.error.issues[0]!.message}`, 'num_vfs', true);
      const mode = f.progress === true ? 'json' : f.progress === false ? 'off' : io.errIsTty ? 'tty' : 'off';
      const r = await withProgress(io, io.call('set_vfs', params.data), (o) => o.action === 'set_vfs' && o.target === `pf ${f.pf}`, mode);
      print(io, r);
    });
}
