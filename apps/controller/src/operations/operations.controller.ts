import { Controller, Get, Inject, Param } from '@nestjs/common';
import { VirtnetError } from '@virtnet/shared';
import { OperationsService } from './operations.service.js';

/** REST under /api/v1: running and recent bulk operations. */
@Controller('api/v1')
export class OperationsController {
  constructor(@Inject(OperationsService) private readonly operations: OperationsService) {}

  @Get('operations')
  list() {
    return { operations: this.operations.list() };
  }

  @Get('operations/:id')
  get(@Param('id') id: string) {
    const op = this.operations.get(id);
    if (!op) throw new VirtnetError('NOT_FOUND', `no operation ${id} (finished operations are kept for a while only)`);
    return op;
  }
}
