import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { ChangeCheck } from './change-check.js';

@Module({ providers: [AuditService, ChangeCheck], controllers: [AuditController], exports: [AuditService, ChangeCheck] })
export class AuditModule {}
