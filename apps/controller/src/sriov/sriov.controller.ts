import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { ChangeCheck } from '../audit/change-check.js';
import { SriovService } from './sriov.service.js';

/** REST under /api/v1: each static PF's SR-IOV state, and the host's sriov_numvfs request. */
@Controller('api/v1')
export class SriovController {
  constructor(
    @Inject(SriovService) private readonly sriov: SriovService,
    @Inject(ChangeCheck) private readonly check: ChangeCheck,
  ) {}

  @Get('sriov')
  status() {
    return this.sriov.status();
  }

  /** The host writes sriov_numvfs of a static PF. */
  @Put('host/pfs/:pf/sriov')
  async setVfs(@Param('pf') pf: string, @Body() body: { num_vfs?: unknown }) {
    return this.sriov.setVfs(await this.check.params('set_vfs', { pf_id: /^\d+$/.test(pf) ? Number(pf) : pf, num_vfs: body?.num_vfs }, 'api'), 'api');
  }
}
