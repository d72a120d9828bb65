import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { OvsService } from './ovs.service.js';

/** Representors on an Open vSwitch bridge (virtnet.conf's ovs_bridge). */
@Module({ imports: [DevicesModule], providers: [OvsService], exports: [OvsService] })
export class SwitchModule {}
