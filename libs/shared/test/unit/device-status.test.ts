import { describe, expect, it } from 'vitest';
import { DEVICE_STATUS, driverBound, driverFailed, driverOk, driverProbing, driverState, needsReset } from '../../src/device-status.js';

const { ACKNOWLEDGE, DRIVER, DRIVER_OK, FEATURES_OK, DEVICE_NEEDS_RESET, FAILED } = DEVICE_STATUS;

describe('device status predicates', () => {
  it('counts a driver in mid-probe (DRIVER, no DRIVER_OK) as bound, as the DPU does', () => {
    const midProbe = ACKNOWLEDGE | DRIVER | FEATURES_OK;
    expect(driverBound(midProbe)).toBe(true);
    expect(driverOk(midProbe)).toBe(false);
    expect(driverProbing(midProbe)).toBe(true);
    expect(driverState(midProbe)).toBe('probing');
  });

  it('knows a device no driver touched, or one only acknowledged', () => {
    expect(driverBound(0)).toBe(false);
    expect(driverState(0)).toBe('none');
    expect(driverBound(ACKNOWLEDGE)).toBe(false);
    expect(driverState(ACKNOWLEDGE)).toBe('probing');
  });

  it('reads a driver that finished as bound and ok', () => {
    const up = ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK;
    expect(up).toBe(15);
    expect([driverBound(up), driverOk(up), driverProbing(up), driverFailed(up)]).toEqual([true, true, false, false]);
    expect(driverState(up)).toBe('ok');
  });

  it('puts failure first: NEEDS_RESET or FAILED over DRIVER_OK', () => {
    expect(needsReset(15 | DEVICE_NEEDS_RESET)).toBe(true);
    expect(driverState(15 | DEVICE_NEEDS_RESET)).toBe('failed');
    expect(driverState(ACKNOWLEDGE | FAILED)).toBe('failed');
    expect(driverProbing(ACKNOWLEDGE | FAILED)).toBe(false);
  });
});
