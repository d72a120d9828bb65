import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { HostsModule } from '../hosts/hosts.module.js';
import { ConfiguredFunctions } from './configured-functions.js';
import { DeviceOperations } from './device-operations.service.js';
import { DeviceQueries } from './device-queries.service.js';
import { DeviceRegistry } from './device-registry.js';
import { DevicesController } from './devices.controller.js';
import { DpuSupervisor } from './dpu-supervisor.js';
import { HostActions } from './host-actions.service.js';
import { HostActionsController } from './host-actions.controller.js';
import { Reconciliation } from './reconciliation.service.js';

const services = [DeviceRegistry, DeviceQueries, DeviceOperations, HostActions, ConfiguredFunctions, Reconciliation, DpuSupervisor];

/** The live devices, their reads and changes, the host driver's actions, and reconciliation with the DPU. */
@Module({ imports: [AuditModule, HostsModule], providers: services, controllers: [DevicesController, HostActionsController], exports: [...services, AuditModule] })
export class DevicesModule {}
