import { Inject, Injectable } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import type { HealthResult, VersionResult } from '@virtnet/shared';
import { VERSION } from '../common/version.js';
import { PrismaService } from '../database/prisma.service.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import { Reconciliation } from '../devices/reconciliation.service.js';
import { HARDWARE } from '../hardware/hardware.module.js';
import { INVENTORY } from '../hardware/tokens.js';
import type { Inventory } from '../hardware/inventory.js';
import { CONF } from '../hardware/tokens.js';
import type { VirtnetConf } from '@virtnet/shared';
import { UpdateService } from '../update/update.service.js';
import { DpuSupervisor } from '../devices/dpu-supervisor.js';
import { OvsService } from '../switch/ovs.service.js';

@Injectable()
export class SystemService {
  private readonly started = Date.now();

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(DeviceRegistry) private readonly devices: DeviceRegistry,
    @Inject(Reconciliation) private readonly reconciliation: Reconciliation,
    @Inject(UpdateService) private readonly update: UpdateService,
    @Inject(INVENTORY) private readonly inventory: Inventory,
    @Inject(CONF) private readonly conf: VirtnetConf,
    @Inject(DpuSupervisor) private readonly supervisor: DpuSupervisor,
    @Inject(OvsService) private readonly ovs: OvsService,
  ) {}

  version(): VersionResult {
    return {
      controller: VERSION,
      destination: this.update.destination()?.version ?? null,
      update: this.update.isActive() ? 'active' : 'inactive',
      native_abi: this.hw.abiVersion,
      node: process.version,
      provider: this.inventory.provider,
    };
  }

  async health(): Promise<HealthResult> {
    let database: HealthResult['database'] = 'ok';
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
    } catch {
      database = 'error';
    }
    const dpu = this.hw.status();
    const { restarting, outage } = this.supervisor.last();
    const hardware: HealthResult['hardware'] = dpu.up && !restarting ? 'ok' : 'error';
    const ok = database === 'ok' && hardware === 'ok' && this.reconciliation.report.failed.length === 0;
    return {
      status: ok ? 'ok' : 'degraded',
      uptime_s: Math.round((Date.now() - this.started) / 1000),
      devices: this.devices.count,
      database,
      hardware,
      provider: this.inventory.provider,
      dpu: {
        up: dpu.up,
        state: restarting ? 'restarting' : dpu.up ? 'running' : 'down',
        pid: dpu.pid,
        version: dpu.version,
        started_at: dpu.startedAt?.toISOString() ?? null,
        reason: dpu.up ? null : dpu.reason,
        starts: dpu.starts,
        faults: dpu.faults,
        last_outage: outage,
      },
      recovery: { enabled: this.conf.recovery !== false, ...this.reconciliation.report },
      ovs: this.ovs.status(),
    };
  }
}
