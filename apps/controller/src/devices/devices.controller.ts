import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { parseOrThrow } from '@virtnet/shared';
import { DevicesService } from './devices.service.js';
import { AuditService } from './audit.service.js';

const EventsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional(),
});

/** REST under /api/v1: the same service calls as the CLI's JSON-RPC methods. */
@Controller('api/v1')
export class DevicesController {
  constructor(
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  @Get('controller')
  controller() {
    return this.devices.controllerInfo();
  }

  @Get('devices')
  list() {
    return { devices: this.devices.devices() };
  }

  @Get('devices/:vuid')
  get(@Param('vuid') vuid: string) {
    return this.devices.device(vuid);
  }

  @Get('devices/:vuid/stats')
  stats(@Param('vuid') vuid: string, @Query('queue') queue?: string) {
    return this.devices.stats({ selector: { vuid }, ...(queue !== undefined ? { queue_id: Number(queue) } : {}) });
  }

  @Post('devices')
  @HttpCode(201)
  hotplug(@Body() body: unknown) {
    return this.devices.hotplug(body, 'api');
  }

  @Patch('devices/:vuid')
  modify(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.devices.modifyDevice({ selector: { vuid }, device: body }, 'api');
  }

  @Put('devices/:vuid/queues')
  modifyQueues(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.devices.modifyQueue({ selector: { vuid }, queue: body }, 'api');
  }

  @Delete('devices/:vuid')
  unplug(@Param('vuid') vuid: string) {
    return this.devices.unplug({ selector: { vuid } }, 'api');
  }

  @Get('host')
  host() {
    return this.devices.hostStatus();
  }

  @Post('host/devices/:vuid/:action')
  @HttpCode(200)
  hostAction(@Param('vuid') vuid: string, @Param('action') action: string, @Body() body: unknown) {
    const profile = (body as { profile?: unknown } | undefined)?.profile;
    return this.devices.hostAction({ selector: { vuid }, action, ...(profile !== undefined ? { profile } : {}) }, 'api');
  }

  @Get('events')
  async events(@Query() query: unknown) {
    const q = parseOrThrow(EventsQuerySchema, query);
    return { events: await this.audit.recent(q.limit, q.before) };
  }
}
