import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ChangeCheck } from '../audit/change-check.js';
import { DeviceOperations } from './device-operations.service.js';
import { DeviceQueries } from './device-queries.service.js';

/** REST under /api/v1: the same service calls as the CLI's JSON-RPC methods, with the same params checked here. */
@Controller('api/v1')
export class DevicesController {
  constructor(
    @Inject(DeviceQueries) private readonly queries: DeviceQueries,
    @Inject(DeviceOperations) private readonly operations: DeviceOperations,
    @Inject(ChangeCheck) private readonly check: ChangeCheck,
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
  async stats(@Param('vuid') vuid: string, @Query('queue') queue?: string) {
    return this.queries.stats(await this.check.params('stats', { selector: { vuid }, ...(queue !== undefined ? { queue_id: Number(queue) } : {}) }, 'api'));
  }

  @Post('devices')
  @HttpCode(201)
  async hotplug(@Body() body: unknown) {
    return this.operations.hotplug(await this.check.params('hotplug', body, 'api'), 'api');
  }

  @Patch('devices/:vuid')
  async modify(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.operations.modifyDevice(await this.check.params('modify_device', { selector: { vuid }, device: body }, 'api'), 'api');
  }

  @Put('devices/:vuid/queues')
  async modifyQueues(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.operations.modifyQueue(await this.check.params('modify_queue', { selector: { vuid }, queue: body }, 'api'), 'api');
  }

  @Delete('devices/:vuid')
  async unplug(@Param('vuid') vuid: string) {
    return this.operations.unplug(await this.check.params('unplug', { selector: { vuid } }, 'api'), 'api');
  }
}
