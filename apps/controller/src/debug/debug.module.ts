import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { DebugController } from './debug.controller.js';
import { DebugService } from './debug.service.js';

/** `virtnet debug`: ring state and frame capture. */
@Module({ imports: [DevicesModule], providers: [DebugService], controllers: [DebugController], exports: [DebugService] })
export class DebugModule {}
