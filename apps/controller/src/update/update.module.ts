import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { UpdateController } from './update.controller.js';
import { UpdateService } from './update.service.js';

@Module({ imports: [DevicesModule], providers: [UpdateService], controllers: [UpdateController], exports: [UpdateService] })
export class UpdateModule {}
