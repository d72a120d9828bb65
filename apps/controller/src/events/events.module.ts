import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { EventsGateway } from './events.gateway.js';
import { HistoryController } from './history.controller.js';
import { Telemetry } from './telemetry.js';
import { TelemetryHistory } from './telemetry-history.js';

@Module({ imports: [DevicesModule, OperationsModule], providers: [EventsGateway, Telemetry, TelemetryHistory], controllers: [HistoryController], exports: [Telemetry] })
export class EventsModule {}
