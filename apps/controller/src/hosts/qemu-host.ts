/**
 * `qemu`: the host is a running VM, driven through its QMP socket. The
 * DPU's hot-plug switch ports are the VM's pcie-root-ports (port i is
 * `<prefix><i>`); a hot-plug adds a vhost-user chardev, a netdev and a
 * virtio-net-pci device behind the port's root port, and an unplug asks the
 * guest to eject it and waits until it has (DEVICE_DELETED). Static PFs are
 * cold-plugged when the VM starts (the lab builds those arguments); SR-IOV
 * VFs are not exposed to a VM (QEMU's virtio-net-pci has no SR-IOV).
 *
 * Every QEMU object is named after the device's VUID (chardev vnc-<vuid>,
 * netdev vnn-<vuid>, device vnet-<vuid>), so the VM can be reconciled with
 * the controller after either side restarts: devices the controller has
 * and the VM lacks are plugged, devices of this controller the VM has and
 * the controller does not (a hot-plug cut short by a crash) are removed.
 */
import { Logger } from '@nestjs/common';
import type { HwFunction } from '@virtnet/hw';
import { DEVICE_STATUS_BITS, FEATURE_BITS, HOST_DRIVER_UNSUPPORTED, VirtnetError, type HostStatus, type QemuHost as QemuHostView } from '@virtnet/shared';
import { toVirtnetError } from '../common/errors.js';
import type { Settings } from '../settings/settings.js';
import type { GuestView, HostAdapter } from './host-adapter.js';
import { Qmp, QmpError } from './qmp.js';

const RETRY_MS = 1000;
/** How often the guest's view of each device is read while the VM is connected. */
const GUEST_POLL_MS = 1000;

/**
 * QEMU's x-query-virtio-status names the guest's status bits and features
 * ("VIRTIO_NET_F_MTU: Device max MTU ..."); the names are the spec's, which
 * libs/shared's tables map back to bits.
 */
export function parseVirtioStatus(r: { status?: { statuses?: string[] }; 'guest-features'?: { 'dev-features'?: string[]; transports?: string[] } }): GuestView {
  const name = (s: string) => s.split(':')[0]!.trim();
  let deviceStatus = 0;
  for (const s of r.status?.statuses ?? []) {
    const n = name(s).replace(/^VIRTIO_CONFIG_S_/, '');
    const bit = DEVICE_STATUS_BITS.find((b) => b.name === n || b.name === `DEVICE_${n}`);
    if (bit) deviceStatus |= 1 << bit.bit;
  }
  let driverFeatures = 0n;
  const gf = r['guest-features'];
  for (const s of [...(gf?.['dev-features'] ?? []), ...(gf?.transports ?? [])]) {
    const f = FEATURE_BITS.find((b) => b.name === name(s));
    if (f) driverFeatures |= 1n << BigInt(f.bit);
  }
  return { deviceStatus, driverFeatures };
}

interface PciDevice {
  bus: number;
  slot: number;
  function: number;
  qdev_id: string;
  pci_bridge?: { bus: { secondary: number }; devices?: PciDevice[] };
}

interface Placement {
  bdf: string;
  rootPort: string | null;
}

export const qemuIds = (vuid: string) => ({ chardev: `vnc-${vuid}`, netdev: `vnn-${vuid}`, device: `vnet-${vuid}` });

/** "84:0.0", the format of the rest of the product. */
export function formatBdf(bus: number, slot: number, fn: number): string {
  return `${bus.toString(16).padStart(2, '0')}:${slot.toString(16)}.${fn.toString(16)}`;
}

/** qdev id -> where the guest enumerated it, and the ids of the VM's root ports with a prefix, in port order. */
export function readPci(buses: { devices: PciDevice[] }[], rootPortPrefix: string): { placed: Map<string, Placement>; rootPorts: string[] } {
  const placed = new Map<string, Placement>();
  const rootPorts: string[] = [];
  const walk = (devices: PciDevice[], parent: string | null) => {
    for (const d of devices) {
      if (d.qdev_id) placed.set(d.qdev_id, { bdf: formatBdf(d.bus, d.slot, d.function), rootPort: parent });
      if (d.qdev_id.startsWith(rootPortPrefix) && /^\d+$/.test(d.qdev_id.slice(rootPortPrefix.length)) && d.pci_bridge) rootPorts.push(d.qdev_id);
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices, d.qdev_id || null);
    }
  };
  for (const b of buses) walk(b.devices, null);
  rootPorts.sort((a, b) => Number(a.slice(rootPortPrefix.length)) - Number(b.slice(rootPortPrefix.length)));
  return { placed, rootPorts };
}

export class QemuHost implements HostAdapter {
  readonly mode = 'qemu' as const;
  private readonly log = new Logger('host');
  private qmp: Qmp | null = null;
  private devices: () => HwFunction[] = () => [];
  private retry?: NodeJS.Timeout;
  private closing = false;
  private accel: string | null = null;
  private rootPorts: string[] = [];
  private readonly placed = new Map<string, Placement>();
  private warnedOnce = new Set<string>();
  private readonly guest = new Map<string, GuestView>();
  private poller?: NodeJS.Timeout;
  /** Devices an unplug is waiting for; any other DEVICE_DELETED of ours is the guest's own doing. */
  private readonly removing = new Set<string>();
  /** Serializes QMP work: reconciliation and plugs must not interleave. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly settings: Settings) {}

  async start(devices: () => HwFunction[]): Promise<void> {
    this.devices = devices;
    // Briefly: a VM whose QMP socket still serves another client (the
    // controller a live update replaces) answers only once that one is
    // gone, and the retries take it from there.
    await this.connect(1000);
    if (!this.qmp) this.log.warn(`waiting for the VM's QMP socket at ${this.settings.qemu.qmp}; hot-plugs are refused until it answers`);
  }

  private qmpPath(): string {
    return this.settings.qemu.qmp;
  }

  private async connect(greetingMs = 5000): Promise<void> {
    if (this.closing || this.qmp) return;
    let qmp: Qmp;
    try {
      qmp = await Qmp.connect(this.qmpPath(), greetingMs);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.qmp = qmp;
    qmp.on('event', (e) => {
      const id = e.data['device'];
      if (e.event !== 'DEVICE_DELETED' || typeof id !== 'string' || !id.startsWith('vnet-')) return;
      const vuid = id.slice(5);
      if (this.removing.has(vuid) || !this.placed.has(vuid)) return;
      // The guest ejected it (a slot powered off from inside the VM). The
      // device stays on the DPU; it goes back into the VM when reconciled.
      this.log.warn(`the guest ejected ${vuid} on its own; it stays on the DPU and is plugged again when the VM reconnects`);
      this.placed.delete(vuid);
      void this.serial(async () => {
        await qmp.execute('netdev_del', { id: qemuIds(vuid).netdev }).catch(() => undefined);
        await qmp.execute('chardev-remove', { id: qemuIds(vuid).chardev }).catch(() => undefined);
      });
    });
    qmp.on('close', () => {
      if (this.qmp !== qmp) return;
      this.qmp = null;
      this.accel = null;
      this.guest.clear();
      if (this.poller) clearInterval(this.poller);
      this.poller = undefined;
      if (!this.closing) {
        this.log.warn(`lost the VM's QMP socket ${this.qmpPath()}; retrying every ${RETRY_MS / 1000} s`);
        this.scheduleRetry();
      }
    });
    try {
      const kvm = await qmp.execute<{ enabled: boolean }>('query-kvm');
      this.accel = kvm.enabled ? 'kvm' : 'tcg';
      await this.serial(() => this.reconcile());
      this.startPolling(qmp);
      this.log.log(`connected to the VM at ${this.qmpPath()} (${this.accel}, ${this.rootPorts.length} root ports for hot-plug)`);
    } catch (e) {
      this.log.error(`the VM at ${this.qmpPath()} could not be reconciled: ${(e as Error).message}`);
    }
  }

  /** Reads the guest's status and features of every device in the VM, once a second. */
  private startPolling(qmp: Qmp): void {
    if (this.poller) clearInterval(this.poller);
    let busy = false;
    this.poller = setInterval(() => {
      if (busy || !qmp.isOpen) return;
      busy = true;
      void this.pollGuests(qmp).finally(() => (busy = false));
    }, GUEST_POLL_MS);
    this.poller.unref();
    void this.pollGuests(qmp);
  }

  private async pollGuests(qmp: Qmp): Promise<void> {
    for (const vuid of [...this.placed.keys()]) {
      try {
        const r = await qmp.execute<Parameters<typeof parseVirtioStatus>[0]>('x-query-virtio-status', { path: `/machine/peripheral/${qemuIds(vuid).device}/virtio-backend` });
        this.guest.set(vuid, parseVirtioStatus(r));
      } catch {
        this.guest.delete(vuid); // gone, or a QEMU without the command: the device's own view stands
      }
    }
    for (const vuid of [...this.guest.keys()]) if (!this.placed.has(vuid)) this.guest.delete(vuid);
  }

  private scheduleRetry(): void {
    if (this.closing || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.connect();
    }, RETRY_MS);
    this.retry.unref();
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private connected(): Qmp {
    if (!this.qmp?.isOpen) throw new VirtnetError('HOST_UNREACHABLE', `the VM does not answer on its QMP socket ${this.qmpPath()}`);
    return this.qmp;
  }

  private async refreshPci(qmp: Qmp): Promise<void> {
    const buses = await qmp.execute<{ devices: PciDevice[] }[]>('query-pci');
    const { placed, rootPorts } = readPci(buses, this.settings.qemu.rootPortPrefix);
    this.rootPorts = rootPorts;
    this.placed.clear();
    for (const [id, p] of placed) if (id.startsWith('vnet-')) this.placed.set(id.slice(5), p);
  }

  /** Makes the VM hold exactly the controller's devices (see the file comment). */
  private async reconcile(): Promise<void> {
    const qmp = this.connected();
    await this.refreshPci(qmp);
    const live = this.devices();
    const mine = new Set(live.map((f) => f.vuid));
    const ownPrefix = this.settings.vhostDir + '/';
    for (const fn of live) {
      if (this.placed.has(fn.vuid)) continue;
      if (fn.kind === 'hotplug') {
        try {
          await this.plugNow(qmp, fn);
          this.log.log(`${fn.vuid} plugged into the VM again at ${this.placed.get(fn.vuid)?.bdf ?? '?'}`);
        } catch (e) {
          this.log.error(`${fn.vuid} could not be plugged into the VM: ${toVirtnetError(e).message}`);
        }
      } else if (fn.kind === 'static' && !this.warnedOnce.has(fn.vuid)) {
        this.warnedOnce.add(fn.vuid);
        this.log.warn(`static PF ${fn.pfId} (${fn.vuid}) is not in the VM: static PFs are cold-plugged when the VM starts (npm run lab does)`);
      }
    }
    // Leftovers of this controller: their chardev points into our socket directory.
    const chardevs = await qmp.execute<{ label: string; filename: string }[]>('query-chardev');
    for (const c of chardevs) {
      if (!c.label.startsWith('vnc-')) continue;
      const vuid = c.label.slice(4);
      if (mine.has(vuid) || !c.filename.includes(ownPrefix)) continue;
      this.log.warn(`${vuid} is in the VM but not in this controller (a hot-plug cut short): removing it`);
      try {
        await this.removeNow(qmp, vuid);
      } catch (e) {
        this.log.error(`${vuid} could not be removed from the VM: ${toVirtnetError(e).message}`);
      }
    }
  }

  plug(fn: HwFunction): Promise<void> {
    if (fn.kind !== 'hotplug') return Promise.resolve();
    return this.serial(() => this.plugNow(this.connected(), fn));
  }

  private async plugNow(qmp: Qmp, fn: HwFunction): Promise<void> {
    const ids = qemuIds(fn.vuid);
    const port = fn.port ?? -1;
    if (!this.rootPorts.length) await this.refreshPci(qmp);
    const bus = `${this.settings.qemu.rootPortPrefix}${port}`;
    if (!this.rootPorts.includes(bus))
      throw new VirtnetError(
        'HOST_PLUG_FAILED',
        `hot-plug port ${port} has no root port '${bus}' in the VM (it has ${this.rootPorts.length}: ${this.rootPorts.join(', ') || 'none'}); start the VM with one pcie-root-port per hot-plug port`,
      );
    if (!fn.vhostSocket) throw new VirtnetError('NOT_STARTED', `${fn.vuid} has no vhost-user socket yet`);
    const pairs = Math.max(1, fn.maxQueuePairs);
    const undo: (() => Promise<unknown>)[] = [];
    try {
      await qmp.execute('chardev-add', {
        id: ids.chardev,
        backend: { type: 'socket', data: { addr: { type: 'unix', data: { path: fn.vhostSocket } }, server: false, reconnect: 1 } },
      });
      undo.push(() => qmp.execute('chardev-remove', { id: ids.chardev }));
      await qmp.execute('netdev_add', { type: 'vhost-user', id: ids.netdev, chardev: ids.chardev, queues: pairs });
      undo.push(() => qmp.execute('netdev_del', { id: ids.netdev }));
      await qmp.execute('device_add', {
        driver: 'virtio-net-pci',
        id: ids.device,
        bus,
        netdev: ids.netdev,
        mac: fn.mac,
        host_mtu: fn.mtu,
        speed: fn.speedMbps,
        duplex: fn.duplexFull ? 'full' : 'half',
        mq: pairs > 1,
        'disable-legacy': fn.transitional ? 'off' : 'on',
        // QEMU 7.2 crashes with MSI-X and vhost-user under TCG; the guest falls back to INTx.
        vectors: this.accel === 'kvm' ? fn.numMsix : 0,
      });
    } catch (e) {
      for (const u of undo.reverse()) await u().catch(() => undefined);
      if (e instanceof QmpError) throw new VirtnetError('HOST_PLUG_FAILED', `QEMU refused to plug ${fn.vuid}: ${e.message}`);
      throw e;
    }
    await this.refreshPci(qmp);
  }

  unplug(fn: HwFunction): Promise<void> {
    if (fn.kind !== 'hotplug') return Promise.resolve();
    return this.serial(async () => {
      if (!this.qmp?.isOpen) {
        // The VM is not there: nothing holds the device. A VM that comes
        // back with it is cleaned up when reconciled.
        this.log.warn(`${fn.vuid}: the VM does not answer on ${this.qmpPath()}; unplugging on the controller side only`);
        this.placed.delete(fn.vuid);
        return;
      }
      await this.removeNow(this.qmp, fn.vuid);
    });
  }

  /** device_del, wait for the guest to eject it, then its netdev (which takes the chardev along). */
  private async removeNow(qmp: Qmp, vuid: string): Promise<void> {
    const ids = qemuIds(vuid);
    this.removing.add(vuid);
    try {
      await this.removeWaiting(qmp, vuid, ids);
    } finally {
      this.removing.delete(vuid);
    }
  }

  private async removeWaiting(qmp: Qmp, vuid: string, ids: ReturnType<typeof qemuIds>): Promise<void> {
    const deleted = qmp.waitEvent('DEVICE_DELETED', (d) => d['device'] === ids.device, this.settings.qemu.unplugTimeoutMs);
    deleted.catch(() => undefined);
    let present = true;
    try {
      await qmp.execute('device_del', { id: ids.device });
    } catch (e) {
      if (!(e instanceof QmpError && e.errorClass === 'DeviceNotFound')) {
        throw new VirtnetError('HOST_PLUG_FAILED', `QEMU refused to unplug ${vuid}: ${(e as Error).message}`);
      }
      present = false;
    }
    if (present) {
      try {
        await deleted;
      } catch {
        throw new VirtnetError(
          'TIMEOUT',
          `the guest did not release ${vuid} within ${this.settings.qemu.unplugTimeoutMs} ms (does it handle PCIe hot-unplug?); the device stays plugged`,
        );
      }
    }
    await qmp.execute('netdev_del', { id: ids.netdev }).catch(() => undefined);
    await qmp.execute('chardev-remove', { id: ids.chardev }).catch(() => undefined);
    this.placed.delete(vuid);
    this.guest.delete(vuid);
  }

  hostBdf(vuid: string): string | undefined {
    return this.placed.get(vuid)?.bdf;
  }

  guestView(vuid: string): GuestView | undefined {
    return this.guest.get(vuid);
  }

  async status(): Promise<HostStatus> {
    const live = new Set(this.devices().map((f) => f.vuid));
    const qemu: QemuHostView = {
      qmp: this.qmpPath(),
      connected: !!this.qmp?.isOpen,
      accel: this.accel,
      root_ports: this.rootPorts,
      plugged: [...this.placed]
        .filter(([vuid]) => live.has(vuid))
        .map(([vuid, p]) => ({ vuid, qdev_id: qemuIds(vuid).device, bdf: p.bdf, root_port: p.rootPort })),
    };
    return { mode: 'qemu', running: qemu.connected, pid: null, devices: [], qemu };
  }

  async command(): Promise<void> {
    throw new VirtnetError('NOT_SUPPORTED', HOST_DRIVER_UNSUPPORTED.qemu);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.poller) clearInterval(this.poller);
    this.qmp?.close();
    this.qmp = null;
  }
}
