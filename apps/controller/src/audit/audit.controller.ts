import { Controller, Get, Inject, Query } from '@nestjs/common';
import { parseOrThrow } from '@virtnet/shared';
import { z } from 'zod';
import { AuditService } from './audit.service.js';

const EventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

/** REST under /api/v1: the audit log, newest first, a page at a time. */
@Controller('api/v1')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get('events')
  async events(@Query() query: unknown) {
    const q = parseOrThrow(EventsQuerySchema, query);
    return { events: await this.audit.recent(q.limit, q.before) };
  }
}
