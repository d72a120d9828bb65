import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { VERSION } from '../common/version.js';
import { buildOpenApi } from './openapi.js';
import { SystemService } from './system.service.js';

@Controller('api/v1')
export class SystemController {
  private openApi?: object;

  constructor(@Inject(SystemService) private readonly system: SystemService) {}

  @Get('version')
  version() {
    return this.system.version();
  }

  @Get('health')
  health() {
    return this.system.health();
  }

  @Get('openapi.json')
  openapi() {
    return (this.openApi ??= buildOpenApi(VERSION));
  }
}

/**
 * Probes for a service manager or Kubernetes, answered without the token
 * (they carry none) and telling nothing but ok or not: GET /health is 200
 * when database, hardware and recovery are healthy and 503 otherwise
 * (readiness); GET /health/live is 200 while the controller serves requests
 * at all (liveness). The details stay behind the token at /api/v1/health.
 */
@Controller('health')
export class ProbeController {
  constructor(@Inject(SystemService) private readonly system: SystemService) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) res: Response): Promise<{ status: string }> {
    const { status } = await this.system.health();
    if (status !== 'ok') res.status(503);
    return { status };
  }

  @Get('live')
  @Header('Cache-Control', 'no-store')
  live(): { status: string } {
    return { status: 'ok' };
  }
}
