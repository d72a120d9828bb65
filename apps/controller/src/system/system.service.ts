import { Inject, Injectable } from '@nestjs/common';
import type { Hardware } from '@virtnet/hw';
import type { HealthResult, VersionResult } from '@virtnet/shared';
import { VERSION } from '../common/version.js';
import { PrismaService } from '../database/prisma.service.js';
import { DevicesService } from '../devices/devices.service.js';
import { HARDWARE } from '../hardware/hardware.module.js';

@Injectable()
export class SystemService {
  private readonly started = Date.now();

  constructor(
    @Inject(HARDWARE) private readonly hw: Hardware,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(DevicesService) private readonly devices: DevicesService,
  ) {}

  version(): VersionResult {
    return { controller: VERSION, native_abi: this.hw.abiVersion, node: process.version };
  }

  async health(): Promise<HealthResult> {
    let database: HealthResult['database'] = 'ok';
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
    } catch {
      database = 'error';
    }
    let hardware: HealthResult['hardware'] = 'ok';
    try {
      this.hw.list();
    } catch {
      hardware = 'error';
    }
    const ok = database === 'ok' && hardware === 'ok' && this.devices.recoveryReport.failed.length === 0;
    return {
      status: ok ? 'ok' : 'degraded',
      uptime_s: Math.round((Date.now() - this.started) / 1000),
      devices: this.devices.count,
      database,
      hardware,
    };
  }
}
