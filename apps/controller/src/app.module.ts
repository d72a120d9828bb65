import { Module, type DynamicModule } from '@nestjs/common';
import type { DpuProfile, VirtnetConf } from '@virtnet/shared';
import type { Logger as Pino } from 'pino';
import { LOGGER } from './common/logger.js';
import { DPU_PROFILE } from './config/tokens.js';
import type { Inventory } from './hardware/inventory.js';
import { CONF, INVENTORY } from './hardware/tokens.js';
import { SETTINGS, type Settings } from './settings/settings.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BulkModule } from './bulk/bulk.module.js';
import { CommonModule } from './common/common.module.js';
import { DatabaseModule } from './database/database.module.js';
import { DebugModule } from './debug/debug.module.js';
import { DevicesModule } from './devices/devices.module.js';
import { EventsModule } from './events/events.module.js';
import { HardwareModule } from './hardware/hardware.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OperationsModule } from './operations/operations.module.js';
import { RecoveryModule } from './recovery/recovery.module.js';
import { RpcModule } from './rpc/rpc.module.js';
import { SriovModule } from './sriov/sriov.module.js';
import { SwitchModule } from './switch/switch.module.js';
import { SystemModule } from './system/system.module.js';
import { UpdateModule } from './update/update.module.js';

/** What is loaded and checked before Nest starts (bootstrap.ts). */
export interface Boot {
  settings: Settings;
  conf: VirtnetConf;
  profile: DpuProfile;
  inventory: Inventory;
  log: Pino;
}

@Module({})
export class AppModule {
  /** The configuration is loaded and validated before Nest starts, then handed in as values every module sees. */
  static forRoot(boot: Boot): DynamicModule {
    const values = [
      { provide: SETTINGS, useValue: boot.settings },
      { provide: CONF, useValue: boot.conf },
      { provide: INVENTORY, useValue: boot.inventory },
      { provide: DPU_PROFILE, useValue: boot.profile },
      { provide: LOGGER, useValue: boot.log },
    ];
    return {
      module: AppModule,
      global: true,
      providers: values,
      exports: values.map((v) => v.provide),
      imports: [
        CommonModule,
        DatabaseModule,
        AuthModule,
        HardwareModule,
        AuditModule,
        OperationsModule,
        DevicesModule,
        SriovModule,
        RecoveryModule,
        UpdateModule,
        SystemModule,
        RpcModule,
        EventsModule,
        MetricsModule,
        BulkModule,
        SwitchModule,
        DebugModule,
      ],
    };
  }
}
