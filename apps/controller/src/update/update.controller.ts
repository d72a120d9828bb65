import { Controller, Get, Inject } from '@nestjs/common';
import { UpdateService } from './update.service.js';

/** REST under /api/v1: the live update's or restart's state and last result. */
@Controller('api/v1')
export class UpdateController {
  constructor(@Inject(UpdateService) private readonly update: UpdateService) {}

  @Get('update')
  status() {
    return this.update.status();
  }
}
