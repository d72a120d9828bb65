/**
 * virtnet: the command line of the virtnet controller.
 */
import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { rpcCaller, socketCaller, type Call } from './client.js';
import { resolveTarget, type TargetFlags } from './contexts.js';
import { CliError, EXIT, asCliError } from './exit.js';
import { buildProgram } from './program.js';
import { httpsExchange } from './remote.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function fail(e: CliError): never {
  process.stderr.write(JSON.stringify(e.toBody()) + '\n');
  process.exit(e.exitCode);
}

export async function main(argv: string[]): Promise<void> {
  if (argv.length === 3 && argv[2] === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const timeout = Number(process.env['VIRTNET_TIMEOUT_MS'] ?? 30000);
  let caller: Call | undefined;
  // Decided at the first call: commands that call no controller need none.
  const connect = (ms = timeout): Call => {
    const t = resolveTarget(program.opts<TargetFlags>());
    return t.kind === 'socket' ? socketCaller(t.path, ms) : rpcCaller(httpsExchange(t.remote, ms));
  };
  const program = buildProgram(
    {
      // A call that waits on purpose (a capture) gets that long on top of the usual timeout.
      call: (m, p, o) => (o?.waitMs ? connect(timeout + o.waitMs) : (caller ??= connect()))(m, p, o),
      out: (t) => process.stdout.write(t + '\n'),
      err: (t, newline = true) => process.stderr.write(newline ? t + '\n' : t),
      errIsTty: process.stderr.isTTY === true,
    },
    VERSION,
  );
  program.exitOverride();
  program.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  for (const c of program.commands) {
    c.exitOverride();
    c.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    for (const s of c.commands) {
      s.exitOverride();
      s.configureOutput({ writeErr: () => undefined, outputError: () => undefined });
    }
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) process.exit(EXIT.OK); // --help, --version
      fail(new CliError('USAGE', e.message.replace(/^error: /, ''), undefined, true));
    }
    fail(asCliError(e));
  }
}
