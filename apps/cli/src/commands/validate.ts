/**
 * `virtnet validate`: a virtnet.conf or a providers directory checked with
 * the rules the controller applies at start, without applying anything.
 */
import { Option, type Command } from 'commander';
import { basename, resolve } from 'node:path';
import type { ConfFinding, ValidateParams, ValidateResult } from '@virtnet/shared';
import { loadConfigCheck } from '@virtnet/shared/lazy';
import { CliError } from '../exit.js';
import { filesOf, isDirectory, readText } from '../files.js';
import { print, type Io } from '../io.js';

const WHERE = `
Where the check runs: with a controller running and no --profile, the controller
checks the file, so that it is judged against the DPU that controller runs on.
With no controller (a CI job, or a deployment before the service starts), or with
--profile, the CLI runs the same checks itself, the same code the controller runs
at start, against --profile FILE or the default DPU profile.
Exit status: 0 valid, 1 invalid (CONFIG_INVALID naming the first key), 2 a file
cannot be read.`;

/** `file: key: message (and N more)`: the first problem, for the one-line error. */
function summary(path: string, errors: ConfFinding[]): string {
  const first = errors[0]!;
  return `${basename(path)}: ${first.key === '(file)' ? '' : `${first.key}: `}${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}

/** The controller's own checks, run in this process. */
async function checkHere(params: ValidateParams, profilePath: string | undefined): Promise<ValidateResult> {
  const check = await loadConfigCheck();
  let profile = check.defaultDpuProfile();
  if (profilePath !== undefined) {
    const path = resolve(profilePath);
    const r = check.parseDpuProfile(readText(path, 'profile'));
    if (!r.value) throw new CliError('CONFIG_INVALID', summary(path, r.errors), 'profile');
    profile = r.value;
  }
  return check.validateConfiguration(params, profile);
}

export function addValidateCommand(program: Command, io: Io): void {
  program
    .command('validate')
    .description('check a virtnet.conf (or a providers directory) as the controller does at start, without applying it; no controller needed')
    .argument('[file]', 'the virtnet.conf to check (a directory is checked as a providers directory)')
    .option('-p, --providers <dir>', 'check a providers directory')
    .addOption(new Option('--profile <file>', 'the DPU profile (dpu-profile.json) to check against; checked here, not by a running controller'))
    .addHelpText('after', WHERE)
    .action(async (file: string | undefined, f: { providers?: string; profile?: string }) => {
      const target = f.providers ?? file;
      if (!target) throw new CliError('USAGE', 'name the file to check: virtnet validate FILE (or -p DIR for providers)', undefined, true);
      const path = resolve(target);
      const isDir = isDirectory(path);
      const params: ValidateParams =
        f.providers !== undefined || isDir ? { kind: 'providers', path, files: filesOf(path) } : { kind: 'conf', path, text: readText(path) };
      let r: ValidateResult;
      if (f.profile !== undefined) r = await checkHere(params, f.profile);
      else {
        try {
          r = await io.call('validate', params);
        } catch (e) {
          if (!(e instanceof CliError && e.code === 'DAEMON_UNREACHABLE')) throw e;
          r = await checkHere(params, undefined);
        }
      }
      print(io, r);
      if (!r.valid) throw new CliError('CONFIG_INVALID', summary(path, r.errors), r.errors[0]!.key === '(file)' ? undefined : r.errors[0]!.key);
    });
}
