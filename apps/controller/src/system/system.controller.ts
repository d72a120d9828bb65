import { Controller, Get, Inject } from '@nestjs/common';
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
