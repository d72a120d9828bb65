import { describe, expect, it } from 'vitest';
import { axisSize, LABEL_GAP, MIN_AXIS, TICK_SIZE } from '../../../src/lib/axis';

// 6 px per character: a monospace stand-in for the canvas's measureText.
const mono = (s: string) => s.length * 6;

describe('y axis size', () => {
  it('fits the widest label with the tick and the gap', () => {
    expect(axisSize(['0 B/s', '50.00 MB/s', '100.00 MB/s'], mono)).toBe(11 * 6 + TICK_SIZE + LABEL_GAP + 2);
  });
  it('takes the least size before ticks exist and for short labels', () => {
    expect(axisSize(null, mono)).toBe(MIN_AXIS);
    expect(axisSize(['0', '1', null], mono)).toBe(MIN_AXIS);
  });
  it('rounds fractional widths up, so the last glyph is not cut', () => {
    expect(axisSize(['x'], () => 60.2)).toBe(61 + TICK_SIZE + LABEL_GAP + 2);
  });
});
