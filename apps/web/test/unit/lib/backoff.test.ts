import { describe, expect, it } from 'vitest';
import { reconnectDelay } from '../../../src/lib/backoff';

describe('reconnectDelay', () => {
  it('starts at about a second, doubles, and stops at 30 s', () => {
    const mid = () => 1; // no jitter reduction
    expect(reconnectDelay(0, mid)).toBe(1000);
    expect(reconnectDelay(1, mid)).toBe(2000);
    expect(reconnectDelay(4, mid)).toBe(16000);
    expect(reconnectDelay(5, mid)).toBe(30000);
    expect(reconnectDelay(50, mid)).toBe(30000);
  });
  it('jitters down by at most 20%', () => {
    expect(reconnectDelay(0, () => 0)).toBe(800);
  });
});
