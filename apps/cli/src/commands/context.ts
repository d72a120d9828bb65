/**
 * `virtnet context`: the named controllers of the contexts file (see
 * contexts.ts), as kubectl's `config` commands keep clusters. Local only:
 * no controller is asked.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { configPath, loadConfig, saveConfig, type Context } from '../contexts.js';
import { CliError } from '../exit.js';
import { print, type Io } from '../io.js';

interface SetFlags {
  controller?: string;
  tokenFile?: string;
  caFile?: string;
  socket?: string;
}

export function addContextCommands(program: Command, io: Io): void {
  const context = program.command('context').description('named controllers (contexts file, as kubectl config): list, use, set, delete');

  const list = () => {
    const path = configPath();
    const c = loadConfig(path);
    print(io, { file: path, 'current-context': c['current-context'] ?? null, contexts: c.contexts });
  };
  context.action(list);
  context.command('list').description('every context, and the current one').action(list);

  context
    .command('use')
    .description('make NAME the current context: commands go to its controller')
    .argument('<name>')
    .action((name: string) => {
      const path = configPath();
      const c = loadConfig(path);
      if (!c.contexts.some((x) => x.name === name)) throw new CliError('USAGE', `no context named ${name} in ${path}`, 'context', true);
      saveConfig(path, { ...c, 'current-context': name });
      print(io, { 'current-context': name });
    });

  context
    .command('set')
    .description('add or replace context NAME: --controller URL --token-file FILE [--ca-file FILE], or --socket PATH')
    .argument('<name>')
    .option('--controller <url>', 'https://HOST:PORT of the controller')
    .option('--token-file <path>', 'file holding its access token')
    .option('--ca-file <path>', 'CA certificate(s) that signed its certificate (PEM)')
    .option('--socket <path>', 'a local controller socket instead')
    .action((name: string, f: SetFlags) => {
      const path = configPath();
      const c = loadConfig(path);
      if (!f.controller === !f.socket) throw new CliError('USAGE', 'give either --controller (with --token-file) or --socket', undefined, true);
      if (f.controller && !f.tokenFile) throw new CliError('USAGE', '--controller needs --token-file', 'token_file', true);
      // Paths as the caller typed them from here, kept absolute so the file works from anywhere.
      const abs = (p: string) => (p.startsWith('~') ? p : resolve(p));
      const entry: Context = f.socket
        ? { name, socket: abs(f.socket) }
        : { name, controller: f.controller!, 'token-file': abs(f.tokenFile!), ...(f.caFile ? { 'ca-file': abs(f.caFile) } : {}) };
      saveConfig(path, { ...c, contexts: [...c.contexts.filter((x) => x.name !== name), entry] });
      print(io, entry);
    });

  context
    .command('delete')
    .description('remove context NAME (and current-context, if it was the current one)')
    .argument('<name>')
    .action((name: string) => {
      const path = configPath();
      const c = loadConfig(path);
      if (!c.contexts.some((x) => x.name === name)) throw new CliError('USAGE', `no context named ${name} in ${path}`, 'context', true);
      const { 'current-context': current, ...rest } = c;
      saveConfig(path, { ...rest, contexts: c.contexts.filter((x) => x.name !== name), ...(current && current !== name ? { 'current-context': current } : {}) });
      print(io, { deleted: name });
    });
}
