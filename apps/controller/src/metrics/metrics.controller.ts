import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { MetricsService } from './metrics.service.js';

/** GET /metrics: the Prometheus text format (scrape with a bearer token: `authorization: { credentials_file: ... }`). */
@Controller()
export class MetricsController {
  constructor(@Inject(MetricsService) private readonly metrics: MetricsService) {}

  @Get('metrics')
  async scrape(@Res() res: Response): Promise<void> {
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    // Written as the families are made: the first bytes leave before the last series exist.
    try {
      await this.metrics.scrapeTo((chunk) => res.write(chunk));
    } catch (e) {
      // Before the first family (the hardware reads) the error filter answers; after it, a cut scrape fails in Prometheus.
      if (!res.headersSent) throw e;
      res.destroy(e as Error);
      return;
    }
    res.end();
  }
}
