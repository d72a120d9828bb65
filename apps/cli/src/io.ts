/**
 * What a command needs from the outside world, so that each command runs
 * without a process or a controller in tests: the controller call, and
 * stdout and stderr.
 */
import type { RpcMethod } from '@virtnet/shared';
import type { Call } from './client.js';

export interface Io {
  call: Call;
  out: (text: string) => void;
  /** Progress on stderr; `newline: false` keeps the cursor on the line. */
  err: (text: string, newline?: boolean) => void;
  errIsTty: boolean;
}

/** Every command prints its answer as indented JSON. */
export function print(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Calls `method` and prints the answer. */
export async function run(io: Io, method: RpcMethod, params: unknown): Promise<void> {
  print(io, await io.call(method, params, { printOnly: true }));
}
