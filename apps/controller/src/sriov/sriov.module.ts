import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { SriovController } from './sriov.controller.js';
import { SriovService } from './sriov.service.js';

@Module({ imports: [DevicesModule, OperationsModule], providers: [SriovService], controllers: [SriovController], exports: [SriovService] })
export class SriovModule {}
