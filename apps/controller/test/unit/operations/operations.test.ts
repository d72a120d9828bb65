/** OperationsService: progress, end states, and how often it publishes. */
import { describe, expect, it, vi } from 'vitest';
import { VirtnetError, type Operation } from '@virtnet/shared';
import { EventBus } from '../../../src/common/event-bus.js';
import { OperationsService } from '../../../src/operations/operations.service.js';

function setup() {
  const bus = new EventBus();
  const seen: Operation[] = [];
  bus.on('operation', (p) => seen.push(p.operation));
  return { ops: new OperationsService(bus), seen };
}

describe('OperationsService', () => {
  it('publishes the start, the last step and the end, and keeps the result', () => {
    const { ops, seen } = setup();
    const h = ops.start('set_vfs', 'pf 0', 3, 'cli');
    h.step();
    h.step();
    h.step();
    h.finish();
    expect(seen.map((o) => [o.state, o.done])).toEqual([
      ['running', 0],
      ['running', 3],
      ['succeeded', 3],
    ]);
    expect(ops.get(h.id)).toMatchObject({ state: 'succeeded', done: 3, total: 3, error: null });
    expect(ops.get(h.id)!.finished_at).not.toBeNull();
  });

  it('publishes intermediate steps at most every 100 ms', () => {
    vi.useFakeTimers();
    try {
      const { ops, seen } = setup();
      const h = ops.start('set_vfs', 'pf 0', 1000, 'api');
      for (let i = 0; i < 500; i++) h.step();
      expect(seen).toHaveLength(1);
      vi.advanceTimersByTime(150);
      h.step();
      expect(seen.at(-1)!.done).toBe(501);
      expect(seen).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records why a job failed, with its stable code, and ignores steps after the end', () => {
    const { ops } = setup();
    const h = ops.start('modify_device', '3 devices', 3, 'api');
    h.step();
    h.finish(new VirtnetError('DRIVER_BOUND', 'driver bound on MT2306XZ00ABVNETS132D0F0'));
    h.step();
    h.finish();
    expect(ops.get(h.id)).toMatchObject({ state: 'failed', done: 1, error: { code: 'DRIVER_BOUND' } });
  });

  it('lists running operations first and forgets old finished ones', () => {
    const { ops } = setup();
    const running = ops.start('set_vfs', 'pf 1', 10, 'cli');
    for (let i = 0; i < 60; i++) ops.start('x', null, 0, 'system').finish();
    const list = ops.list();
    expect(list[0]!.id).toBe(running.id);
    expect(list.filter((o) => o.state === 'succeeded').length).toBeLessThanOrEqual(50);
  });
});
