/**
 * NVIDIA recovery files imported over the devices of a real DPU, with the
 * database faked: a device the host's driver holds is never replaced,
 * whether its driver finished (DRIVER_OK) or is still probing (DRIVER
 * written, DRIVER_OK not yet), as a modify would refuse it.
 */
import { DEVICE_STATUS } from '@virtnet/shared';
import { describe, expect, it } from 'vitest';
import { service } from '../support/devices.js';

const { ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK } = DEVICE_STATUS;

/** A record for static PF `pf` with a MAC of its own, in the real controller's format. */
const staticPf = (pf: number, mac: string) => ({
  name: `pf${pf}.json`,
  text: JSON.stringify({ port_ib_dev: 'mlx5_0', pf_id: pf, function_type: 'pf', bdf_raw: 0x3b00 + pf, device_type: 'static', mac, pf_num: 0, sf_num: 1000 + pf, mq: 1 }),
});

describe('recovery file import', () => {
  it.each([
    ['in mid-probe (DRIVER, no DRIVER_OK yet)', ACKNOWLEDGE | DRIVER],
    ['past feature negotiation, still probing', ACKNOWLEDGE | DRIVER | FEATURES_OK],
    ['bound (DRIVER_OK)', ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK],
  ])('refuses to replace a static PF whose driver is %s, and leaves it as it runs', async (_what, status) => {
    const { s, hw } = await service();
    const pf0 = hw.list().find((f) => f.kind === 'static' && f.pfId === 0)!;
    hw.driverWriteStatus(pf0.handle, status);
    const r = await s.recovery.importFiles({ files: [staticPf(0, '0c:c4:7a:ff:30:00')] }, 'cli');
    expect(r).toEqual({ imported: [], skipped: [{ file: 'pf0.json', code: 'DRIVER_BOUND', message: `${pf0.vuid}: the host driver is bound; unbind it before importing over it` }] });
    expect(hw.query(pf0.handle)).toMatchObject({ vuid: pf0.vuid, mac: pf0.mac, deviceStatus: status });
  });

  it('replaces a static PF no driver holds', async () => {
    const { s, hw } = await service();
    const pf1 = hw.list().find((f) => f.kind === 'static' && f.pfId === 1)!;
    hw.driverWriteStatus(pf1.handle, ACKNOWLEDGE);
    const r = await s.recovery.importFiles({ files: [staticPf(1, '0c:c4:7a:ff:30:01')] }, 'cli');
    expect(r).toEqual({ imported: [{ file: 'pf1.json', vuid: pf1.vuid, action: 'updated' }], skipped: [] });
    expect(hw.list().find((f) => f.vuid === pf1.vuid)).toMatchObject({ mac: '0C:C4:7A:FF:30:01', sfNum: 1001 });
  });
});
