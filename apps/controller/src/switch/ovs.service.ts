/**
 * Open vSwitch, the seed's own step (`ovs-vsctl add-port BRIDGE
 * en3f0pf0sf1001`), done by the controller when virtnet.conf's `ovs_bridge`
 * (or VIRTNET_OVS_BRIDGE) names a bridge: each device's TAP representor
 * joins it when the device appears, leaves it at unplug, and the set is
 * made right again at every start (a port whose device went while the
 * controller was down is removed, a missing one added). The representor's
 * MTU follows the device's (the DPU sets it, also after `modify -t`), so
 * the bridge passes the device's largest frame.
 *
 * Switching is not the controller's job to fail: ovs-vsctl's refusals are
 * logged and counted, and the devices work as without a bridge.
 */
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Device, VirtnetConf } from '@virtnet/shared';
import { DeviceRegistry } from '../devices/device-registry.js';
import { EventBus } from '../common/event-bus.js';
import { CONF } from '../hardware/tokens.js';
import { SETTINGS, type Settings } from '../settings/settings.js';
import { addPortsArgs, delPortsArgs, findOursArgs, parseNames, vsctl, type RepPort } from './ovs.js';

export interface OvsStatus {
  bridge: string;
  /** Representors this controller keeps on the bridge. */
  ports: number;
  /** ovs-vsctl calls that failed since the start. */
  errors: number;
  last_error: string | null;
}

@Injectable()
export class OvsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('ovs');
  readonly bridge: string | null;
  /** vuid -> representor, for the ports this controller put on the bridge. */
  private readonly ports = new Map<string, string>();
  private readonly unsubscribe: (() => void)[] = [];
  /** ovs-vsctl calls run one after another, in the order the devices changed. */
  private queue: Promise<void> = Promise.resolve();
  private errors = 0;
  private lastError: string | null = null;
  private warnedNoTap = false;

  constructor(
    @Inject(SETTINGS) private readonly settings: Settings,
    @Inject(CONF) conf: VirtnetConf,
    @Inject(EventBus) private readonly events: EventBus,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
  ) {
    this.bridge = settings.ovsBridge ?? conf.ovs_bridge ?? null;
  }

  onApplicationBootstrap(): void {
    if (!this.bridge) return;
    this.unsubscribe.push(
      this.events.on('device.added', ({ device }) => this.joined(device)),
      this.events.on('device.updated', ({ device }) => this.joined(device)),
      this.events.on('device.removed', ({ vuid }) => this.left(vuid)),
    );
    // Not awaited: the controller answers while the bridge is made right.
    void this.run('sync', () => this.sync());
  }

  status(): OvsStatus | null {
    return this.bridge ? { bridge: this.bridge, ports: this.ports.size, errors: this.errors, last_error: this.lastError } : null;
  }

  /** Waits for the ovs-vsctl calls asked for so far (tests, shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  private home(): string {
    return this.settings.home;
  }

  private withRep(d: Device): RepPort | null {
    if (d.sf_rep_net_ifindex === null) {
      if (!this.warnedNoTap) this.log.warn(`ovs_bridge ${this.bridge}: ${d.vuid} has no representor netdev (data path ${d.datapath}); only TAP representors join the bridge`);
      this.warnedNoTap = true;
      return null;
    }
    return { vuid: d.vuid, rep: d.sf_rep_net_device };
  }

  private joined(d: Device): void {
    const p = this.withRep(d);
    if (!p || this.ports.get(p.vuid) === p.rep) return;
    this.ports.set(p.vuid, p.rep);
    void this.run(`add ${p.rep}`, () =>
      vsctl(addPortsArgs(this.bridge!, this.home(), [p])).then(
        () => this.log.log(`${p.rep} (${p.vuid}) joined ${this.bridge}`),
        (e: unknown) => {
          this.ports.delete(p.vuid); // the device's next change tries again
          throw e;
        },
      ),
    );
  }

  private left(vuid: string): void {
    const rep = this.ports.get(vuid);
    if (rep === undefined) return;
    this.ports.delete(vuid);
    void this.run(`remove ${rep}`, () => vsctl(delPortsArgs(this.bridge!, [rep])).then(() => this.log.log(`${rep} (${vuid}) left ${this.bridge}`)));
  }

  /** Every device's representor on the bridge, and none of ours whose device is gone. */
  private async sync(): Promise<void> {
    const want = this.devices.devices().flatMap((d) => this.withRep(d) ?? []);
    const tagged = parseNames(await vsctl(findOursArgs(this.home())));
    const stale = tagged.filter((name) => !want.some((p) => p.rep === name));
    if (stale.length) {
      await vsctl(delPortsArgs(this.bridge!, stale));
      this.log.log(`removed ${stale.length} port(s) of devices that are gone from ${this.bridge}: ${stale.join(' ')}`);
    }
    if (want.length) await vsctl(addPortsArgs(this.bridge!, this.home(), want));
    for (const p of want) this.ports.set(p.vuid, p.rep);
    this.log.log(`${want.length} representor(s) on ${this.bridge}`);
  }

  private run(what: string, job: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(job).catch((e: Error) => {
      this.errors++;
      this.lastError = `${what}: ${e.message}`;
      this.log.warn(`ovs_bridge ${this.bridge}: ${this.lastError}`);
    });
    return this.queue;
  }

  onModuleDestroy(): void {
    for (const u of this.unsubscribe) u();
  }
}
