import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { HotplugRequestSchema, ModifyDeviceParamsSchema, ModifyQueueParamsSchema, StatsParamsSchema, UnplugParamsSchema, parseOrThrow } from '@virtnet/shared';
import { DeviceOperations } from './device-operations.service.js';
import { DeviceQueries } from './device-queries.service.js';

/** REST under /api/v1: the same service calls as the CLI's JSON-RPC methods, with the same params checked here. */
@Controller('api/v1')
export class DevicesController {
  constructor(
    @Inject(DeviceQueries) private readonly queries: DeviceQueries,
    @Inject(DeviceOperations) private readonly operations: DeviceOperations,
  ) {}

  @Get('controller')
  controller() {
    return this.queries.controllerInfo();
  }

  @Get('devices')
  list() {
    return { devices: this.queries.devices() };
  }

  @Get('devices/:vuid')
  get(@Param('vuid') vuid: string) {
    return this.queries.device(vuid);
  }

  @Get('devices/:vuid/stats')
  stats(@Param('vuid') vuid: string, @Query('queue') queue?: string) {
    return this.queries.stats(parseOrThrow(StatsParamsSchema, { selector: { vuid }, ...(queue !== undefined ? { queue_id: Number(queue) } : {}) }));
  }

  @Post('devices')
  @HttpCode(201)
  hotplug(@Body() body: unknown) {
    return this.operations.hotplug(parseOrThrow(HotplugRequestSchema, body), 'api');
  }

  @Patch('devices/:vuid')
  modify(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.operations.modifyDevice(parseOrThrow(ModifyDeviceParamsSchema, { selector: { vuid }, device: body }), 'api');
  }

  @Put('devices/:vuid/queues')
  modifyQueues(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.operations.modifyQueue(parseOrThrow(ModifyQueueParamsSchema, { selector: { vuid }, queue: body }), 'api');
  }

  @Delete('devices/:vuid')
  unplug(@Param('vuid') vuid: string) {
    return this.operations.unplug(parseOrThrow(UnplugParamsSchema, { selector: { vuid } }), 'api');
  }
}
