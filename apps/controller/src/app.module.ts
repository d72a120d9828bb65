import { Global, Module, type DynamicModule } from '@nestjs/common';
import { AuthModule } from './auth/auth.module.js';
import { BulkController } from './bulk/bulk.controller.js';
import { BulkService } from './bulk/bulk.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import type { DpuProfile, VirtnetConf } from '@virtnet/shared';
import type { Logger as Pino } from 'pino';
import { LOGGER } from './common/logger.js';
import { ConfigService } from './config/config.service.js';
import { DPU_PROFILE } from './config/tokens.js';
import { ParityController } from './parity.controller.js';
import { RecoveryService } from './recovery/recovery.service.js';
import { UpdateService } from './update/update.service.js';
import { AUDIT_STORE, DEVICE_STORE, PrismaAuditStore, PrismaDeviceStore } from './database/stores.js';
import { PrismaService } from './database/prisma.service.js';
import { AuditService } from './devices/audit.service.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { DpuSupervisor } from './devices/dpu-supervisor.js';
import { HostService } from './hosts/host.js';
import { EventBus } from './events/event-bus.js';
import { EventsGateway } from './events/events.gateway.js';
import { Telemetry } from './events/telemetry.js';
import { TelemetryHistory } from './events/telemetry-history.js';
import { HistoryController } from './events/history.controller.js';
import { HardwareModule } from './hardware/hardware.module.js';
import type { Inventory } from './hardware/inventory.js';
import { CONF, INVENTORY } from './hardware/tokens.js';
import { RpcController } from './rpc/rpc.controller.js';
import { RpcServer } from './rpc/rpc.server.js';
import { OperationsController } from './operations/operations.controller.js';
import { OperationsService } from './operations/operations.service.js';
import { SETTINGS, type Settings } from './settings/settings.js';
import { ProbeController, SystemController } from './system/system.controller.js';
import { SystemService } from './system/system.service.js';

export interface Boot {
  settings: Settings;
  conf: VirtnetConf;
  profile: DpuProfile;
  inventory: Inventory;
  log: Pino;
}

@Module({ providers: [OperationsService], controllers: [OperationsController], exports: [OperationsService] })
class OperationsModule {}

@Module({ imports: [OperationsModule], providers: [DevicesService, AuditService, HostService, DpuSupervisor], controllers: [DevicesController], exports: [DevicesService, AuditService, HostService, DpuSupervisor, OperationsModule] })
class DevicesModule {}

/** validate, log, update and restart, recovery files, SR-IOV over REST. */
@Module({ imports: [DevicesModule], providers: [ConfigService, RecoveryService, UpdateService], controllers: [ParityController], exports: [ConfigService, RecoveryService, UpdateService] })
class ParityModule {}

@Module({ imports: [DevicesModule, ParityModule], providers: [SystemService], controllers: [SystemController, ProbeController], exports: [SystemService] })
class SystemModule {}

@Module({ imports: [DevicesModule, SystemModule, ParityModule], providers: [RpcServer], controllers: [RpcController] })
class RpcModule {}

@Module({ imports: [DevicesModule], providers: [EventsGateway, Telemetry, TelemetryHistory], controllers: [HistoryController], exports: [Telemetry] })
class EventsModule {}

@Module({ imports: [DevicesModule, ParityModule], providers: [MetricsService], controllers: [MetricsController] })
class MetricsModule {}

@Module({ imports: [DevicesModule], providers: [BulkService], controllers: [BulkController] })
class BulkModule {}

@Module({})
export class AppModule {
  /** The configuration is loaded and validated before Nest starts (main.ts), then handed in as values. */
  static forRoot(boot: Boot): DynamicModule {
    @Global()
    @Module({
      providers: [
        { provide: SETTINGS, useValue: boot.settings },
        { provide: CONF, useValue: boot.conf },
        { provide: INVENTORY, useValue: boot.inventory },
        { provide: DPU_PROFILE, useValue: boot.profile },
        { provide: LOGGER, useValue: boot.log },
        PrismaService,
        { provide: DEVICE_STORE, useClass: PrismaDeviceStore },
        { provide: AUDIT_STORE, useClass: PrismaAuditStore },
        EventBus,
      ],
      exports: [SETTINGS, CONF, INVENTORY, DPU_PROFILE, LOGGER, PrismaService, DEVICE_STORE, AUDIT_STORE, EventBus],
    })
    class CoreModule {}

    return { module: AppModule, imports: [CoreModule, AuthModule, HardwareModule, DevicesModule, SystemModule, RpcModule, EventsModule, MetricsModule, BulkModule] };
  }
}
