/**
 * The ovs-vsctl commands the controller runs, built as argument lists (no
 * shell), and what it reads back. Ports it adds carry external_ids naming
 * the controller's home and the device, so that it only ever removes what
 * it added, also after a crash: an operator's own ports on the same bridge
 * are never touched.
 */
import { execFile } from 'node:child_process';

/** One port the controller keeps on the bridge: a device's representor. */
export interface RepPort {
  vuid: string;
  rep: string;
}

/** `--may-exist add-port` for each port, tagged as ours, in one transaction. */
export function addPortsArgs(bridge: string, home: string, ports: RepPort[]): string[] {
  return ports.flatMap((p) => [
    '--',
    '--may-exist',
    'add-port',
    bridge,
    p.rep,
    '--',
    'set',
    'Interface',
    p.rep,
    `external_ids:virtnet_home=${JSON.stringify(home)}`,
    `external_ids:virtnet_vuid=${p.vuid}`,
  ]);
}

/** `--if-exists del-port` for each representor, in one transaction. */
export function delPortsArgs(bridge: string, reps: string[]): string[] {
  return reps.flatMap((rep) => ['--', '--if-exists', 'del-port', bridge, rep]);
}

/** The Interface rows this home tagged, as `ovs-vsctl --format=json find` prints them. */
export function findOursArgs(home: string): string[] {
  return ['--format=json', '--columns=name', 'find', 'Interface', `external_ids:virtnet_home=${JSON.stringify(home)}`];
}

/** Names out of `--format=json --columns=name find` output: {"data": [["name"], ...], "headings": ["name"]}. */
export function parseNames(json: string): string[] {
  const t = JSON.parse(json) as { data?: unknown };
  if (!Array.isArray(t.data)) throw new Error('ovs-vsctl find: no data table in its answer');
  return t.data.flatMap((row) => (Array.isArray(row) && typeof row[0] === 'string' ? [row[0]] : []));
}

export class OvsError extends Error {}

/**
 * Runs ovs-vsctl with `args` (it finds the database as it always does:
 * OVS_RUNDIR, else the system's). Resolves with its stdout; rejects with
 * its stderr's first line.
 */
export function vsctl(args: string[], timeoutSeconds = 5): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ovs-vsctl', [`--timeout=${timeoutSeconds}`, ...args], { encoding: 'utf8', timeout: (timeoutSeconds + 2) * 1000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'ovs-vsctl is not installed (Open vSwitch)' : stderr.trim().split('\n')[0] || err.message;
      reject(new OvsError(why));
    });
  });
}
