import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { UpdateModule } from '../update/update.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({ imports: [DevicesModule, UpdateModule], providers: [MetricsService], controllers: [MetricsController] })
export class MetricsModule {}
