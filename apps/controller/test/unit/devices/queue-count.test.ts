/** A hot-plug's queue count: the refusals suggest a count the device can have. */
import type { VirtnetError } from '@virtnet/shared';
import { describe, expect, it } from 'vitest';
import { checkQueueCount } from '../../../src/devices/device-operations.service.js';

describe('checkQueueCount', () => {
  const p = { maxVirtqueues: 64, pfMsix: 64 };
  const refusal = (n: number, profile = p) => {
    try {
      checkQueueCount(n, profile);
    } catch (e) {
      return e as VirtnetError;
    }
    return undefined;
  };

  it('suggests a count that fits the device', () => {
    expect(refusal(1000)).toMatchObject({ code: 'QUEUES_EXCEED_LIMIT', field: 'num_queues', message: expect.stringContaining('use at most 63 (31 queue pairs and the control queue)') });
    expect(refusal(64)?.message).toContain('use an odd count such as 63');
    expect(refusal(4)?.message).toContain('use an odd count such as 5');
    expect(refusal(40, { maxVirtqueues: 64, pfMsix: 17 })?.message).toMatch(/limit of 17 \(min of max_virt_queues 64 and MSI-X 17\): use at most 17 \(8 queue pairs/);
  });

  it('takes the counts a device can have', () => {
    for (const n of [2, 3, 5, 63]) expect(refusal(n)).toBeUndefined();
  });
});
