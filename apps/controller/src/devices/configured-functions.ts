/**
 * The functions the DPU profile and virtnet.conf ask for, as specs: the
 * static PFs, and the VFs of each (their MACs count up from the configured
 * base across PFs), with the most VFs the host may enable on a PF.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Hardware, HwFunctionSpec } from '@virtnet/hw';
import { macAdd, parseFeatures, type VirtnetConf } from '@virtnet/shared';
import { HARDWARE } from '../hardware/hardware.module.js';
import { STATIC_PF_DEFAULTS, STATIC_PF_MAC_BASE, VF_MAC_BASE, newDeviceFeatures, type Inventory } from '../hardware/inventory.js';
import { CONF, INVENTORY } from '../hardware/tokens.js';

@Injectable()
export class ConfiguredFunctions {
  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(INVENTORY) private readonly inventory: Inventory,
    @Inject(CONF) private readonly conf: VirtnetConf,
  ) {}

  get staticPfs(): number {
    return this.hw.profile.staticPfs;
  }

  /** The most VFs the host may enable on a PF: vf.vfs_per_pf when set (its MAC block), else the PF's total VFs. */
  maxVfs(): number {
    return this.conf.vf?.vfs_per_pf ?? this.hw.profile.vfsPerPf;
  }

  /** The setting `maxVfs` comes from, for an error that names it. */
  maxVfsSource(): string {
    return this.conf.vf?.vfs_per_pf !== undefined ? 'vf.vfs_per_pf' : 'VIRTIO_NET_EMULATION_NUM_VF';
  }

  /** VFs per PF virtnet.conf asks for at a start where the host never set sriov_numvfs. */
  configuredVfs(): number {
    return this.conf.vf?.vfs_per_pf ?? 0;
  }

  staticPfSpec(pf: number): HwFunctionSpec {
    const extra = this.conf.static_pf?.features ? parseFeatures(this.conf.static_pf.features)! : this.inventory.defaultFeatures;
    const mac = macAdd(this.conf.static_pf?.mac_base ?? STATIC_PF_MAC_BASE, pf);
    return { ...this.common(), kind: 'static', pfIndex: pf, mac, features: newDeviceFeatures(extra, 0n, STATIC_PF_DEFAULTS.numQueues) };
  }

  vfSpec(pf: number, vf: number): HwFunctionSpec {
    const extra = this.conf.vf?.features ? parseFeatures(this.conf.vf.features)! : this.inventory.defaultFeatures;
    return { ...this.common(), kind: 'vf', pfIndex: pf, vfIndex: vf, mac: this.vfMac(pf, vf), features: newDeviceFeatures(extra, 0n, STATIC_PF_DEFAULTS.numQueues) };
  }

  /** The MAC of VF `vf` of PF `pf`: vf.mac_base counting up across PFs (each PF's block is vfs_per_pf, or its total VFs, long). */
  private vfMac(pf: number, vf: number): string {
    const stride = this.conf.vf?.vfs_per_pf || this.hw.profile.vfsPerPf;
    return macAdd(this.conf.vf?.mac_base ?? VF_MAC_BASE, pf * stride + vf);
  }

  private common() {
    return { ibDevice: this.inventory.staticPfIbDevice, transitional: false, ...STATIC_PF_DEFAULTS } as const;
  }
}
