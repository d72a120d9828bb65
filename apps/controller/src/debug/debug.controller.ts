import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ChangeCheck } from '../audit/change-check.js';
import { DebugService } from './debug.service.js';

/** REST under /api/v1: `virtnet debug` for the dashboard and scripts. */
@Controller('api/v1/devices/:vuid/debug')
export class DebugController {
  constructor(
    @Inject(DebugService) private readonly debug: DebugService,
    @Inject(ChangeCheck) private readonly check: ChangeCheck,
  ) {}

  @Get()
  async rings(@Param('vuid') vuid: string, @Query('queue_id') queue?: string) {
    return this.debug.rings(await this.check.params('debug', { selector: { vuid }, ...(queue !== undefined ? { queue_id: Number(queue) } : {}) }, 'api'));
  }

  @Post('capture')
  @HttpCode(200)
  async capture(@Param('vuid') vuid: string, @Body() body: unknown) {
    return this.debug.capture(await this.check.params('debug_capture', { ...(body as object), selector: { vuid } }, 'api'), 'api');
  }
}
