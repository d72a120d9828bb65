import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { BulkController } from './bulk.controller.js';
import { BulkService } from './bulk.service.js';

@Module({ imports: [DevicesModule, OperationsModule], providers: [BulkService], controllers: [BulkController] })
export class BulkModule {}
