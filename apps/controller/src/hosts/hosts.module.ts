import { Module } from '@nestjs/common';
import { HostService } from './host.js';

@Module({ providers: [HostService], exports: [HostService] })
export class HostsModule {}
