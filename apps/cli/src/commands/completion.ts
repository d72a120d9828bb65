/** `virtnet completion bash`: a completion function for every command, subcommand and flag. */
import type { Command } from 'commander';
import { LOG_LEVEL_NAMES } from '@virtnet/shared/log-levels';
import { CliError } from '../exit.js';
import type { Io } from '../io.js';

export function addCompletionCommand(program: Command, io: Io): void {
  program
    .command('completion')
    .description('print a completion script: eval "$(virtnet completion bash)"')
    .argument('<shell>', 'bash')
    .action((shell: string) => {
      if (shell !== 'bash') throw new CliError('INVALID_ARGUMENT', `no completion for '${shell}'; only bash`, 'shell', true);
      io.out(bashCompletion(program));
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
