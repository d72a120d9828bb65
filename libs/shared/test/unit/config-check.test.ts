import { describe, expect, it } from 'vitest';
import { checkVirtnetConf, defaultDpuProfile, describeFinding, parseDpuProfile, validateConfiguration } from '../../src/config-check.js';
import { checkConfAgainstProfile, DpuProfileSchema, VirtnetConfSchema } from '../../src/config.js';

describe('DPU profile files', () => {
  it('fills the defaults of a partial profile', () => {
    expect(parseDpuProfile('{"VIRTIO_NET_EMULATION_NUM_VF": 4}')).toEqual({ value: { ...defaultDpuProfile(), VIRTIO_NET_EMULATION_NUM_VF: 4 }, errors: [] });
  });

  it('names the knob at fault, and says when the text is not JSON', () => {
    const bad = parseDpuProfile('{"max_queue_size": 1000, "PCI_SWITCH_EMULATION_NUM_PORT": 99}');
    expect(bad.value).toBeNull();
    expect(bad.errors.map(describeFinding)).toEqual(['PCI_SWITCH_EMULATION_NUM_PORT: Too big: expected number to be <=32', 'max_queue_size: must be a power of two']);
    const garbled = parseDpuProfile('{"max_mtu": 9000,');
    expect(garbled.errors).toEqual([{ key: '(file)', message: expect.stringMatching(/^not valid JSON: /) }]);
  });
});

describe('virtnet.conf against a profile', () => {
  it('refuses more VFs per PF than the profile reserves, naming the knob', () => {
    const small = DpuProfileSchema.parse({ VIRTIO_NET_EMULATION_NUM_VF: 8 });
    const r = checkVirtnetConf('{"vf": {"vfs_per_pf": 9}}', small);
    expect(r).toEqual({ value: null, errors: [{ key: 'vf.vfs_per_pf', message: '9 exceeds the 8 VFs per PF of this DPU (VIRTIO_NET_EMULATION_NUM_VF)' }], warnings: [] });
    expect(checkVirtnetConf('{"vf": {"vfs_per_pf": 9}}', defaultDpuProfile()).value).toMatchObject({ vf: { vfs_per_pf: 9 } });
  });

  it('checks the static PFs\' ib device also for a configuration built without the schema', () => {
    const conf = { ...VirtnetConfSchema.parse({}), ib_dev_for_static_pf: 'mlx5_9' };
    expect(checkConfAgainstProfile(conf, defaultDpuProfile())).toEqual([
      { key: 'ib_dev_for_static_pf', message: "'mlx5_9' is not one of this configuration's ib devices (mlx5_0, mlx5_1)" },
    ]);
    expect(checkVirtnetConf('{"ib_dev_for_static_pf": "mlx5_9"}', defaultDpuProfile()).errors).toEqual(checkConfAgainstProfile(conf, defaultDpuProfile()));
  });
});

describe('validate', () => {
  it('answers a conf with its effective options and a providers directory with the provider that would run', () => {
    expect(validateConfiguration({ kind: 'conf', path: '/etc/virtnet.conf', text: '{"recovery": 0}' }, defaultDpuProfile())).toEqual({
      path: '/etc/virtnet.conf',
      kind: 'conf',
      valid: true,
      errors: [],
      warnings: [],
      effective: { recovery: false },
    });
    const p = validateConfiguration({ kind: 'providers', path: '/p', files: [{ name: 'dpa.provider', text: 'provider=dpa\nscore=5\nscore=x\n' }] }, defaultDpuProfile());
    expect(p).toMatchObject({ kind: 'providers', valid: false, errors: [{ key: 'dpa.provider', line: 3, message: expect.stringMatching(/score must be a whole number/) }] });
  });
});
