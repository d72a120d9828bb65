/**
 * A real Linux guest for interop tests: Debian's 6.1 kernel (its virtio_net
 * driver) and busybox in an initramfs, booted by QEMU under TCG (see
 * ../shared/STACK.md: KVM here is nested and unusable). The assets are
 * built once into a cache directory: the kernel package comes from Debian's
 * archive with `apt-get download`; busybox from busybox-static.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const LAB = process.env['VIRTNET_LAB_DIR'] ?? join(homedir(), '.cache', 'virtnet-lab');
const INIT = resolve(import.meta.dirname, '../../guest/init');
const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_modern_dev', 'virtio_pci_legacy_dev', 'virtio_pci', 'failover', 'net_failover', 'virtio_net'];

function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return undefined;
}

/** The kernel image and initramfs, building them when missing or stale. */
export function guestAssets(): { kernel: string; initrd: string } {
  mkdirSync(LAB, { recursive: true });
  const root = join(LAB, 'kernel');
  if (!existsSync(join(root, 'boot'))) {
    const deps = execFileSync('apt-cache', ['depends', 'linux-image-amd64'], { encoding: 'utf8' });
    const pkg = /Depends: (linux-image-[\w.-]+-amd64)/.exec(deps)?.[1];
    if (!pkg) throw new Error(`cannot tell which kernel package linux-image-amd64 depends on:\n${deps}`);
    execFileSync('apt-get', ['download', pkg], { cwd: LAB, stdio: 'ignore' });
    const deb = readdirSync(LAB).find((f) => f.startsWith(pkg) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb in ${LAB}`);
    execFileSync('dpkg-deb', ['-x', join(LAB, deb), root]);
    rmSync(join(LAB, deb));
  }
  const kernel = readdirSync(join(root, 'boot')).find((f) => f.startsWith('vmlinuz-'));
  if (!kernel) throw new Error(`no vmlinuz in ${root}/boot`);
  const init = readFileSync(INIT);
  const stamp = createHash('sha256').update(init).update(kernel).digest('hex').slice(0, 16);
  const initrd = join(LAB, `initramfs-${stamp}.gz`);
  if (!existsSync(initrd)) {
    const tree = join(LAB, 'initrd');
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
    execFileSync('sh', ['-c', `cd '${tree}' && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > '${initrd}'`]);
  }
  return { kernel: join(root, 'boot', kernel), initrd };
}

export interface GuestRun {
  code: number | null;
  console: string;
}

/** Boots the guest with one virtio-net-pci NIC on a vhost-user socket; resolves when it powers off. */
export function runGuest(opts: { socket: string; mac: string; mtu: number; ip: string; peer: string; queues?: number; timeoutMs?: number }): Promise<GuestRun> {
  const { kernel, initrd } = guestAssets();
  const pairs = opts.queues ?? 1;
  const args = [
    // Linux uses as many queue pairs as it has CPUs, up to the device's.
    '-accel', 'tcg', '-m', '512', '-smp', String(pairs),
    '-object', 'memory-backend-memfd,id=mem,size=512M,share=on', '-numa', 'node,memdev=mem',
    '-kernel', kernel, '-initrd', initrd,
    '-append', `console=ttyS0 quiet panic=-1 vnet_ip=${opts.ip} vnet_peer=${opts.peer}`,
    '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-no-reboot',
    '-chardev', `socket,id=c0,path=${opts.socket},reconnect=1`,
    '-netdev', `vhost-user,id=n0,chardev=c0,queues=${pairs}`,
    // vectors=0: QEMU 7.2 under TCG crashes with MSI-X and vhost-user (STACK.md)
    '-device', `virtio-net-pci,netdev=n0,mac=${opts.mac},host_mtu=${opts.mtu},vectors=0${pairs > 1 ? ',mq=on' : ''}`,
  ];
  return new Promise((res) => {
    const p = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, console: out });
    });
  });
}
