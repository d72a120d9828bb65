// The two DPUs of the migration benchmarks: a controller each on a home of
// its own with one static PF of `mac` and TAP representors, described as the
// lab's sides (scripts/lab/migration.mjs). stopSides stops the controllers
// and removes the homes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeHome, rpc, startController } from './lib.mjs';
import { CONTROLLER_MAIN as MAIN } from '../scripts/paths.mjs';

const PROFILE = { PCI_SWITCH_EMULATION_NUM_PORT: 1, VIRTIO_NET_EMULATION_NUM_PF: 1, VIRTIO_NET_EMULATION_NUM_VF: 0 };

/**
 * Starts DPUs a and b; each started one is recorded in `into` at once, so
 * that a failure halfway still stops it.
 * @param {string} prefix of the homes' names @param {string} mac
 * @param {{ homes: string[], procs: import('node:child_process').ChildProcess[] }} into
 */
export async function startSides(prefix, mac, into) {
  const sides = [];
  for (const name of ['a', 'b']) {
    const home = mkdtempSync(join(tmpdir(), `${prefix}${name}-`));
    into.homes.push(home);
    writeFileSync(join(home, 'dpu-profile.json'), JSON.stringify(PROFILE));
    writeFileSync(join(home, 'virtnet.conf'), JSON.stringify({ static_pf: { mac_base: mac } }));
    const env = { ...process.env, VIRTNET_HOME: home, VIRTNET_HTTP_PORT: '0', VIRTNET_LOG_LEVEL: 'warn', VIRTNET_HOST: 'external', VIRTNET_DATAPATH: 'tap' };
    into.procs.push(await startController(MAIN, env));
    const pf = (await rpc(join(home, 'virtnet.sock'), 'query', { selector: { pf_id: 0 }, brief: true })).devices[0];
    sides.push({ name, qmp: join(home, 'qmp.sock'), dir: home, rep: pf.sf_rep_net_device, coldPlug: { vuid: pf.vuid, socket: pf.vhost_user_socket, mac: pf.mac, mtu: pf.mtu, queuePairs: pf.max_queue_pairs } });
  }
  return sides;
}

/** @param {{ homes: string[], procs: import('node:child_process').ChildProcess[] }} of */
export async function stopSides(of) {
  // the controllers first, so that none starts a DPU again as removeHome stops them
  await Promise.all(of.procs.map((p) => new Promise((r) => (p.exitCode !== null ? r(undefined) : (p.once('exit', r), p.kill('SIGTERM'))))));
  for (const h of of.homes) removeHome(h);
}
