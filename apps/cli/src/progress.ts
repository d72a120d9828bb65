/**
 * Shows a long operation while its request runs: a progress line on stderr
 * when it is a terminal, JSON lines with --progress. Polls the controller's
 * operations (a second connection) every 100 ms.
 */
import type { Operation } from '@virtnet/shared';
import type { Io } from './io.js';

export type ProgressMode = 'tty' | 'json' | 'off';

export async function withProgress<T>(io: Io, pending: Promise<T>, match: (o: Operation) => boolean, mode: ProgressMode): Promise<T> {
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
