/**
 * Room for a chart's y axis: its widest tick label as drawn, plus the tick
 * and the gap uPlot puts before the label. A fixed size cut long labels
 * ("100.00 MB/s") on the left; this grows with them.
 */
export const TICK_SIZE = 10;
export const LABEL_GAP = 5;
/** Before any tick is known, and the least an axis takes. */
export const MIN_AXIS = 40;

export function axisSize(labels: readonly (string | null)[] | null | undefined, measure: (text: string) => number): number {
  let widest = 0;
  for (const l of labels ?? []) if (l) widest = Math.max(widest, measure(l));
  // A pixel either side for antialiasing of the glyphs at the edge.
  return Math.max(MIN_AXIS, Math.ceil(widest) + TICK_SIZE + LABEL_GAP + 2);
}
