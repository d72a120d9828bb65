import { describe, expect, it } from 'vitest';
import { Abort, until } from '../../src/until.js';

describe('until', () => {
  it('resolves with the first answer that is neither undefined nor false', async () => {
    let n = 0;
    expect(await until('the third call', () => (++n === 3 ? n : n === 1 ? undefined : false), 1000, 1)).toBe(3);
  });

  it('asks again after an error, and names the last one when time runs out', async () => {
    await expect(until('a state that never comes', () => {
      throw new Error('not readable');
    }, 30, 1)).rejects.toThrow('timed out waiting for a state that never comes: Error: not readable');
  });

  it('stops at once on Abort', async () => {
    let calls = 0;
    await expect(until('anything', () => {
      calls++;
      throw new Abort('gone for good');
    }, 1000, 1)).rejects.toThrow('gone for good');
    expect(calls).toBe(1);
  });
});
