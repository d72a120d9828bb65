import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { DevicePlacement } from './device-placement.js';
import { RecoveryService } from './recovery.service.js';

@Module({ imports: [DevicesModule], providers: [RecoveryService, DevicePlacement], exports: [RecoveryService] })
export class RecoveryModule {}
