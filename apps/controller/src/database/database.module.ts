import { Global, Module } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { AUDIT_STORE, DEVICE_STORE, PrismaAuditStore, PrismaDeviceStore } from './stores.js';

/** The SQLite database through Prisma, and the two stores the services see it by. */
@Global()
@Module({
  providers: [PrismaService, { provide: DEVICE_STORE, useClass: PrismaDeviceStore }, { provide: AUDIT_STORE, useClass: PrismaAuditStore }],
  exports: [PrismaService, DEVICE_STORE, AUDIT_STORE],
})
export class DatabaseModule {}
