import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ChangeCheck } from '../audit/change-check.js';
import { HostActions } from './host-actions.service.js';

/** REST under /api/v1: the host and what its driver is asked to do with a device. */
@Controller('api/v1')
export class HostActionsController {
  constructor(
    @Inject(HostActions) private readonly actions: HostActions,
    @Inject(ChangeCheck) private readonly check: ChangeCheck,
  ) {}

  @Get('host')
  host() {
    return this.actions.status();
  }

  @Post('host/devices/:vuid/:action')
  @HttpCode(200)
  async act(@Param('vuid') vuid: string, @Param('action') action: string, @Body() body: unknown) {
    const profile = (body as { profile?: unknown } | undefined)?.profile;
    return this.actions.act(await this.check.params('host_action', { selector: { vuid }, action, ...(profile !== undefined ? { profile } : {}) }, 'api'), 'api');
  }
}
