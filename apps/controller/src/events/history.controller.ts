import { Controller, Get, Inject, Param } from '@nestjs/common';
import { TelemetryHistory } from './telemetry-history.js';

/** REST under /api/v1: the recorded per-queue rates of one device, to seed its charts. */
@Controller('api/v1')
export class HistoryController {
  constructor(@Inject(TelemetryHistory) private readonly history: TelemetryHistory) {}

  @Get('devices/:vuid/history')
  get(@Param('vuid') vuid: string) {
    return this.history.history(vuid);
  }
}
