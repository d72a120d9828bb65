/**
 * Waiting for a state with a deadline, never for a fixed time: tests and
 * benchmarks poll `probe` until it answers, and fail naming what they
 * waited for (and the probe's last error) when it does not in time.
 */

/** Thrown by a probe to stop waiting at once: the awaited state can no longer come. */
export class Abort extends Error {}

/**
 * Polls `probe` every `everyMs` until it returns something other than
 * `undefined` or `false`, and resolves with that. A probe that throws is
 * asked again (the state may not be readable yet), unless it throws Abort.
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof Abort) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
