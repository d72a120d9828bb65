import { Module } from '@nestjs/common';
import { OperationsController } from './operations.controller.js';
import { OperationsService } from './operations.service.js';

@Module({ providers: [OperationsService], controllers: [OperationsController], exports: [OperationsService] })
export class OperationsModule {}
