/**
 * The data-path provider: read from the providers directory at start (the
 * seed's "Provider Configuration"), reported by list, version and health,
 * and applied to the emulated data path:
 *
 *  - ace (Arm cores, the default): workers are kick-driven. After the last
 *    packet a worker polls an empty ring for 20 us, then asks for kicks
 *    again and sleeps in epoll, so an idle device costs no CPU.
 *  - dpa (the data-path accelerator): workers poll a ring for 1 ms after its
 *    last packet before sleeping, as accelerator threads that poll their
 *    queues do: under load the driver kicks far less often (fewer
 *    notifications per packet), at the price of CPU while traffic flows.
 *    Its worker count is the configured DPA core range
 *    (dpa_core_end - dpa_core_start + 1) when virtnet.conf sets one.
 */
import { chooseProvider, describeProviderFinding, type ProviderFinding, type ProviderName, type ProviderReport, type VirtnetConf } from '@virtnet/shared';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export { describeProviderFinding };

export class ProviderFileError extends Error {
  constructor(
    readonly dir: string,
    readonly problems: ProviderFinding[],
  ) {
    super(`${dir}:\n  ${problems.map(describeProviderFinding).join('\n  ')}`);
  }
}

/** The files of a providers directory; none when the directory does not exist. */
export function readProviderFiles(dir: string): { name: string; text: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ProviderFileError(dir, [{ file: dir, message: `cannot read the directory: ${(e as Error).message}` }]);
  }
  const files: { name: string; text: string }[] = [];
  for (const name of names) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    files.push({ name, text: readFileSync(path, 'utf8') });
  }
  return files;
}

/** Chooses the provider; an invalid provider file stops the controller, like an invalid virtnet.conf. */
export function loadProviders(dir: string): ProviderReport {
  const report = chooseProvider(readProviderFiles(dir));
  if (report.errors.length) throw new ProviderFileError(dir, report.errors);
  return report;
}

export interface DatapathTuning {
  workers: number;
  idlePollUs: number;
}

export const IDLE_POLL_US: Record<ProviderName, number> = { ace: 20, dpa: 1000 };

/** What the provider makes of the data path; VIRTNET_VQ_WORKERS overrides the worker count. */
export function datapathTuning(provider: ProviderName, conf: VirtnetConf, envWorkers: number | null): DatapathTuning {
  const dpaCores = conf.dpa_core_start !== undefined && conf.dpa_core_end !== undefined ? conf.dpa_core_end - conf.dpa_core_start + 1 : undefined;
  const workers = envWorkers ?? (provider === 'dpa' && dpaCores !== undefined ? Math.min(dpaCores, 64) : (conf.eth_vq_workers ?? 1));
  return { workers, idlePollUs: IDLE_POLL_US[provider] };
}
