import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { SwitchModule } from '../switch/switch.module.js';
import { UpdateModule } from '../update/update.module.js';
import { ProbeController, SystemController } from './system.controller.js';
import { SystemService } from './system.service.js';

@Module({ imports: [DevicesModule, UpdateModule, SwitchModule], providers: [SystemService], controllers: [SystemController, ProbeController], exports: [SystemService] })
export class SystemModule {}
