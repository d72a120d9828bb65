/** Runs the real `virtnet` CLI as a process. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
// A plain script shared with the benchmarks, not a project.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { CLI_BIN as BIN } from '../../../scripts/paths.mjs';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: any;
  error: any;
}

export function virtnet(home: string, ...args: string[]): Promise<CliResult> {
  return virtnetWith({}, home, ...args);
}

/**
 * With more environment. The contexts file is the home's own unless `env`
 * names one: a developer's current-context must not send a test's calls elsewhere.
 */
export function virtnetWith(env: NodeJS.ProcessEnv, home: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, VIRTNET_HOME: home, VIRTNET_CONFIG: join(home, 'cli-config.json'), ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const parse = (s: string) => {
        try {
          return JSON.parse(s);
        } catch {
          return undefined;
        }
      };
      resolve({ code, stdout, stderr, json: parse(stdout), error: parse(stderr)?.error });
    });
  });
}
