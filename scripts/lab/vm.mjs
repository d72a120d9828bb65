// @ts-check
/**
 * The lab's VM: Debian's Linux kernel (its virtio_net driver) and busybox in
 * an initramfs, booted by QEMU under TCG (KVM here is nested and not usable;
 * pass accel 'kvm' where it is). The machine is a q35 whose pcie-root-ports
 * rp0, rp1, ... stand for the DPU's hot-plug switch ports, with shared guest
 * memory so vhost-user back-ends can map it. Used by `npm run lab`, the
 * end-to-end tests and the benchmarks.
 *
 * The guest assets are built once into a cache directory (VIRTNET_LAB_DIR,
 * default ~/.cache/virtnet-lab): the kernel package comes from Debian's
 * archive with `apt-get download`, busybox from busybox-static.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LAB_DIR = process.env['VIRTNET_LAB_DIR'] ?? join(homedir(), '.cache', 'virtnet-lab');
const INIT = join(dirname(fileURLToPath(import.meta.url)), 'init');
const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'failover', 'net_failover', 'virtio_net'];

/** @param {string} dir @param {string} name @returns {string | undefined} */
function findFile(dir, name) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return undefined;
}

/**
 * The kernel image and initramfs, built when missing or stale.
 * @returns {{ kernel: string, initrd: string }}
 */
export function guestAssets() {
  mkdirSync(LAB_DIR, { recursive: true });
  const root = join(LAB_DIR, 'kernel');
  if (!existsSync(join(root, 'boot'))) {
    const deps = execFileSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
    const pkg = /Depends: (linux-image-[\w.-]+-amd64)/.exec(deps)?.[1];
    if (!pkg) throw new Error(`cannot tell which kernel package linux-image-amd64 depends on (run apt-get update?):\n${deps}`);
    execFileSync('apt-get', ['download', pkg], { cwd: LAB_DIR, stdio: 'ignore' });
    const deb = readdirSync(LAB_DIR).find((f) => f.startsWith(pkg) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${LAB_DIR}`);
    execFileSync('dpkg-deb', ['-x', join(LAB_DIR, deb), root]);
    rmSync(join(LAB_DIR, deb));
  }
  const kernel = readdirSync(join(root, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!kernel) throw new Error(`no vmlinuz in ${root}/boot`);
  const init = readFileSync(INIT);
  const stamp = createHash('sha256').update(init).update(kernel).digest('hex').slice(0, 16);
  const initrd = join(LAB_DIR, `initramfs-${stamp}.gz`);
  if (!existsSync(initrd)) {
    const tree = join(LAB_DIR, 'initrd');
    rmSync(tree, { recursive: true, force: true });
    for (const d of ['bin', 'proc', 'sys', 'dev', 'lib/modules']) mkdirSync(join(tree, d), { recursive: true });
    copyFileSync('/bin/busybox', join(tree, 'bin/busybox'));
    for (const m of MODULES) {
      const ko = findFile(join(root, 'lib/modules'), `${m}.ko`);
      if (!ko) throw new Error(`module ${m}.ko not found in ${root}`);
      copyFileSync(ko, join(tree, 'lib/modules', `${m}.ko`));
    }
    writeFileSync(join(tree, 'init'), init);
    chmodSync(join(tree, 'init'), 0o755);
    execFileSync('sh', ['-c', `cd '${tree}' && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > '${initrd}.tmp' && mv '${initrd}.tmp' '${initrd}'`]);
  }
  return { kernel: join(root, 'boot', kernel), initrd };
}

/**
 * A NIC on the vhost-user socket of a device of the controller, cold-plugged
 * on the root bus (a static PF). Its QEMU ids follow the qemu host adapter's
 * naming (vnc-/vnn-/vnet-<vuid>), so the controller recognizes it.
 * @typedef {{ vuid: string, socket: string, mac: string, mtu: number, queuePairs: number, transitional?: boolean }} ColdPlug
 */

/**
 * A NIC of QEMU's own (its virtio-net device model, no vhost) on a TAP it
 * creates: the peer the lab compares a device of ours with.
 * @typedef {{ ifname: string, mac: string }} TapNic
 */

/**
 * QEMU's command line for the lab VM.
 * @param {{
 *   qmp: string,
 *   rootPorts: number,
 *   coldPlug?: ColdPlug[],
 *   tapNic?: TapNic,
 *   cpus?: number,
 *   memoryMb?: number,
 *   accel?: 'tcg' | 'kvm',
 *   console: 'stdio' | { socket: string, log: string },
 * }} o
 * @returns {string[]}
 */
export function vmArgs(o) {
  const { kernel, initrd } = guestAssets();
  const mem = o.memoryMb ?? 512;
  const accel = o.accel ?? 'tcg';
  const args = [
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-machine', 'q35', '-accel', accel, '-smp', String(o.cpus ?? 2), '-m', String(mem),
    // vhost-user back-ends map guest memory: it must be a shareable file.
    '-object', `memory-backend-memfd,id=mem,size=${mem}M,share=on`, '-numa', 'node,memdev=mem',
    '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 quiet panic=-1',
    '-qmp', `unix:${o.qmp},server=on,wait=off`,
  ];
  if (o.console === 'stdio') args.push('-serial', 'stdio');
  else args.push('-chardev', `socket,id=con0,path=${o.console.socket},server=on,wait=off,logfile=${o.console.log}`, '-serial', 'chardev:con0');
  for (let i = 0; i < o.rootPorts; i++) args.push('-device', `pcie-root-port,id=rp${i},bus=pcie.0,chassis=${i + 1},slot=${i + 1}`);
  if (o.tapNic)
    args.push(
      '-netdev', `tap,id=tn0,ifname=${o.tapNic.ifname},script=no,downscript=no`,
      '-device', `virtio-net-pci,id=tn0nic,netdev=tn0,bus=pcie.0,mac=${o.tapNic.mac},disable-legacy=on${accel === 'tcg' ? ',vectors=0' : ''}`,
    );
  for (const d of o.coldPlug ?? []) {
    args.push(
      '-chardev', `socket,id=vnc-${d.vuid},path=${d.socket},reconnect=1`,
      '-netdev', `vhost-user,id=vnn-${d.vuid},chardev=vnc-${d.vuid},queues=${d.queuePairs}`,
      // vectors=0: QEMU 7.2 crashes with MSI-X and vhost-user under TCG; INTx works.
      '-device', `virtio-net-pci,id=vnet-${d.vuid},netdev=vnn-${d.vuid},bus=pcie.0,mac=${d.mac},host_mtu=${d.mtu},mq=${d.queuePairs > 1 ? 'on' : 'off'},disable-legacy=${d.transitional ? 'off' : 'on'}${accel === 'tcg' ? ',vectors=0' : ''}`,
    );
  }
  return args;
}
