/**
 * The commands that complete the real virtnet's set: log, validate, update,
 * restart, recovery import/export, the host's SR-IOV request, and bash
 * completion. Files are read and written here, on the CLI's side, so that
 * paths are the caller's and the controller never touches them.
 */
import { Command, Option, type Command as CommandType } from 'commander';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LOG_LEVEL_NAMES, LogParamsSchema, SetVfsParamsSchema, type Operation } from '@virtnet/shared';
import { CliError } from './exit.js';
import type { Io } from './program.js';

const print = (io: Io, value: unknown) => io.out(JSON.stringify(value, null, 2));

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError('INVALID_ARGUMENT', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'file', true);
  }
}

function filesOf(dir: string): { name: string; text: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new CliError('INVALID_ARGUMENT', `cannot read the directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'dir', true);
  }
  return names
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort()
    .map((name) => ({ name, text: readText(join(dir, name)) }));
}

/** Real virtnet spells some levels its own way. */
const LEVEL_ALIASES: Record<string, string> = { err: 'error', warning: 'warn', information: 'info', dbg: 'debug' };

/**
 * Shows a long operation while `pending` runs: a progress line on stderr
 * when it is a terminal, JSON lines with --progress. Polls the controller's
 * operations (a second connection) every 100 ms.
 */
async function withProgress<T>(io: Io, pending: Promise<T>, match: (o: Operation) => boolean, mode: 'tty' | 'json' | 'off'): Promise<T> {
  if (mode === 'off') return pending;
  let done = false;
  const watch = (async () => {
    const startedAt = new Date(Date.now() - 1000).toISOString();
    let last = '';
    while (!done) {
      try {
        const { operations } = await io.call('operations', {});
        const op = operations.find((o) => match(o) && o.started_at >= startedAt);
        if (op) {
          const key = `${op.state}/${op.done}`;
          if (key !== last) {
            last = key;
            if (mode === 'json') io.err(JSON.stringify(op));
            else io.err(`\r${op.action} ${op.target ?? ''}: ${op.done}/${op.total} ${op.state}`.padEnd(60), false);
          }
          if (op.state !== 'running') break;
        }
      } catch {
        // The answer to the request itself says what went wrong.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return await pending;
  } finally {
    done = true;
    await watch;
    if (mode === 'tty') io.err('');
  }
}

export function addParityCommands(program: CommandType, io: Io): void {
  program
    .command('log')
    .description('show the log level of the controller, or set it (effective at once)')
    .addOption(new Option('-l, --level <level>', `new level: ${LOG_LEVEL_NAMES.join(', ')}`))
    .argument('[level]', 'new level (same as -l)')
    .action(async (positional: string | undefined, f: { level?: string }) => {
      const asked = f.level ?? positional;
      const level = asked === undefined ? undefined : (LEVEL_ALIASES[asked.toLowerCase()] ?? asked.toLowerCase());
      const r = LogParamsSchema.safeParse(level === undefined ? {} : { level });
      if (!r.success) throw new CliError('INVALID_ARGUMENT', `level: must be one of ${LOG_LEVEL_NAMES.join(', ')}`, 'level', true);
      print(io, await io.call('log', r.data));
    });

  program
    .command('validate')
    .description('check a virtnet.conf (or a providers directory) against this controller without applying it')
    .argument('[file]', 'the virtnet.conf to check (a directory is checked as a providers directory)')
    .option('-p, --providers <dir>', 'check a providers directory')
    .action(async (file: string | undefined, f: { providers?: string }) => {
      const target = f.providers ?? file;
      if (!target) throw new CliError('USAGE', 'name the file to check: virtnet validate FILE (or -p DIR for providers)', undefined, true);
      const path = resolve(target);
      let isDir = false;
      try {
        isDir = statSync(path).isDirectory();
      } catch (e) {
        throw new CliError('INVALID_ARGUMENT', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'file', true);
      }
      const r =
        f.providers !== undefined || isDir
          ? await io.call('validate', { kind: 'providers', path, files: filesOf(path) })
          : await io.call('validate', { kind: 'conf', path, text: readText(path) });
      print(io, r);
      if (!r.valid) {
        const first = r.errors[0]!;
        throw new CliError('CONFIG_INVALID', `${basename(path)}: ${first.key === '(file)' ? '' : `${first.key}: `}${first.message}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : ''}`, first.key === '(file)' ? undefined : first.key);
      }
    });

  program
    .command('update')
    .description('live update: hand the devices over to the newly installed controller build')
    .option('-s, --start', 'start the live update')
    .option('-t, --status', 'status of the live update and the last result')
    .action(async (f: { start?: boolean; status?: boolean }) => {
      if (!!f.start === !!f.status) throw new CliError('USAGE', 'give exactly one of -s (start) or -t (status)', undefined, true);
      print(io, f.start ? await io.call('update_start', {}) : await io.call('update_status', {}));
    });

  program
    .command('restart')
    .description('restart the controller fast, without stopping the service: a new process takes the devices over')
    .action(async () => print(io, await io.call('restart', {})));

  const recovery = program.command('recovery').description("the real controller's recovery files (one JSON file per device): import into the database, export from it");
  recovery
    .command('import')
    .description('create or update the devices the files in DIR describe; an invalid file is skipped with its error')
    .argument('<dir>', 'directory of recovery files')
    .action(async (dir: string) => {
      const r = await io.call('recovery_import', { files: filesOf(resolve(dir)) });
      print(io, r);
      if (r.imported.length === 0 && r.skipped.length > 0) throw new CliError('RECOVERY_RECORD_INVALID', `no file of ${dir} could be imported`);
    });
  recovery
    .command('export')
    .description('write one recovery file per device into DIR, named by VUID')
    .argument('<dir>', 'directory to write to (created if missing)')
    .action(async (dir: string) => {
      const r = await io.call('recovery_export', {});
      const path = resolve(dir);
      mkdirSync(path, { recursive: true });
      for (const f of r.files) writeFileSync(join(path, f.name), JSON.stringify(f.record, null, 2) + '\n');
      print(io, { dir: path, files: r.files.map((f) => f.name) });
    });

  program
    .command('completion')
    .description('print a completion script: eval "$(virtnet completion bash)"')
    .argument('<shell>', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash') throw new CliError('INVALID_ARGUMENT', `no completion for '${shell}'; only bash`, 'shell', true);
      io.out(bashCompletion(program));
    });
}

/** `virtnet host sriov`: the host writes sriov_numvfs of a static PF. */
export function addSriovCommand(host: CommandType, io: Io, int: (v: string) => number): void {
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
      const params = SetVfsParamsSchema.safeParse({ pf_id: f.pf, num_vfs: Number(num) });
      if (!params.success) throw new CliError('INVALID_ARGUMENT', `num_vfs: ${params.error.issues[0]!.message}`, 'num_vfs', true);
      const mode = f.progress === true ? 'json' : f.progress === false ? 'off' : io.errIsTty ? 'tty' : 'off';
      const r = await withProgress(io, io.call('set_vfs', params.data), (o) => o.action === 'set_vfs' && o.target === `pf ${f.pf}`, mode);
      print(io, r);
    });
}

/** A bash completion function for every command, subcommand and flag of the program. */
export function bashCompletion(program: Command): string {
  const words = (c: Command) => [...c.commands.map((s) => s.name()), ...c.options.flatMap((o) => [o.short, o.long].filter(Boolean) as string[]), '-h', '--help'];
  const cases: string[] = [];
  const walk = (c: Command, path: string[]) => {
    cases.push(`    "${path.join(' ')}") opts="${words(c).join(' ')}" ;;`);
    for (const s of c.commands) walk(s, [...path, s.name()]);
  };
  walk(program, []);
  const levels = LOG_LEVEL_NAMES.join(' ');
  return `# bash completion for virtnet; load with: eval "$(virtnet completion bash)"
_virtnet() {
  local cur prev path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    case " $(_virtnet_words "$path") " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  case "$prev" in
    -e|--event_mode) COMPREPLY=($(compgen -W "event cqe" -- "$cur")); return ;;
    -l|--level) COMPREPLY=($(compgen -W "${levels}" -- "$cur")); return ;;
  esac
  if [ "$path" = "validate" ] || [[ "$path" = recovery* && "$path" != recovery ]]; then
    COMPREPLY=($(compgen -f -- "$cur")); return
  fi
  COMPREPLY=($(compgen -W "$(_virtnet_words "$path")" -- "$cur"))
}
_virtnet_words() {
  local opts=""
  case "$1" in
${cases.join('\n')}
  esac
  echo "$opts"
}
complete -F _virtnet virtnet`;
}
