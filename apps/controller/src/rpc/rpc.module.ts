import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { DebugModule } from '../debug/debug.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { OperationsModule } from '../operations/operations.module.js';
import { RecoveryModule } from '../recovery/recovery.module.js';
import { SriovModule } from '../sriov/sriov.module.js';
import { SystemModule } from '../system/system.module.js';
import { UpdateModule } from '../update/update.module.js';
import { RpcController } from './rpc.controller.js';
import { RpcServer } from './rpc.server.js';

@Module({
  imports: [DevicesModule, SriovModule, RecoveryModule, UpdateModule, SystemModule, ConfigModule, OperationsModule, DebugModule],
  providers: [RpcServer],
  controllers: [RpcController],
})
export class RpcModule {}
