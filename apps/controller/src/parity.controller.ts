import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { DevicesService } from './devices/devices.service.js';
import { UpdateService } from './update/update.service.js';

/** REST under /api/v1 for the host's SR-IOV request and the live-update status. */
@Controller('api/v1')
export class ParityController {
  constructor(
    @Inject(DevicesService) private readonly devices: DevicesService,
    @Inject(UpdateService) private readonly update: UpdateService,
  ) {}

  @Get('sriov')
  sriov() {
    return this.devices.sriovStatus();
  }

  /** The host writes sriov_numvfs of a static PF. */
  @Put('host/pfs/:pf/sriov')
  setVfs(@Param('pf') pf: string, @Body() body: { num_vfs?: unknown }) {
    return this.devices.setVfs({ pf_id: /^\d+$/.test(pf) ? Number(pf) : pf, num_vfs: body?.num_vfs }, 'api');
  }

  @Get('update')
  updateStatus() {
    return this.update.status();
  }
}
