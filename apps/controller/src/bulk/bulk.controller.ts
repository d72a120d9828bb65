import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { BulkRequestSchema, parseOrThrow } from '@virtnet/shared';
import { BulkService } from './bulk.service.js';

/** REST under /api/v1: start a bulk change; follow it on GET operations/{id} or the WebSocket's operations topic. */
@Controller('api/v1')
export class BulkController {
  constructor(@Inject(BulkService) private readonly bulk: BulkService) {}

  @Post('operations')
  @HttpCode(202)
  start(@Body() body: unknown) {
    return this.bulk.start(parseOrThrow(BulkRequestSchema, body), 'api');
  }
}
