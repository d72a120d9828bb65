/**
 * A streaming time-series chart on uPlot (canvas, built for this: tens of
 * thousands of points redrawn in a millisecond or two). The data is
 * column-major, x in epoch seconds; the caller keeps it bounded. The
 * container carries the number of points and the last values as data
 * attributes, so tests read what is drawn without looking at pixels.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisSize, LABEL_GAP, TICK_SIZE } from '../lib/axis';
import { useTheme } from '../lib/theme';

const AXIS_FONT = '11px ui-sans-serif, system-ui';

/** Label widths as the chart's canvas draws them (CSS pixels). */
let measurer: CanvasRenderingContext2D | null = null;
function measure(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return text.length * 7;
  measurer.font = AXIS_FONT;
  return measurer.measureText(text).width;
}

export const SERIES_COLOURS = ['#16a34a', '#2563eb', '#d97706', '#db2777', '#0d9488', '#7c3aed', '#dc2626', '#65a30d', '#0891b2', '#c026d3'];

/** A design token's concrete colour (tokens are light-dark() pairs that a canvas cannot take). */
function token(name: string): string {
  const probe = document.createElement('span');
  probe.style.color = `var(${name})`;
  document.body.append(probe);
  const c = getComputedStyle(probe).color;
  probe.remove();
  return c;
}

export interface ChartSeries {
  label: string;
  colour: string;
}

export function TimeChart(props: { id: string; title: string; series: ChartSeries[]; data: uPlot.AlignedData; format: (v: number) => string; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const theme = useTheme();
  const seriesKey = props.series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const axis = { stroke: token('--color-muted'), grid: { stroke: token('--color-line'), width: 1 }, ticks: { stroke: token('--color-line'), width: 1, size: TICK_SIZE }, gap: LABEL_GAP, font: AXIS_FONT };
    const fmt = props.format;
    const clock = uPlot.fmtDate('{HH}:{mm}:{ss}');
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: props.height ?? 150,
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          // Whole seconds only: samples are 1 s apart, and sub-second ticks would repeat a label.
          { ...axis, space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300], values: (_u, ticks) => ticks.map((t) => clock(new Date(t * 1000))) },
          // As wide as the widest label of the ticks in view ("100.00 MB/s"), recomputed as the scale changes.
          { ...axis, size: (_u, values) => axisSize(values, measure), values: (_u, ticks) => ticks.map(fmt) },
        ],
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.colour, width: 1.5, points: { show: false }, value: (_u: uPlot, v: number | null) => (v === null ? '–' : fmt(v)) }))],
      },
      props.data,
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 150 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // A new series list or theme rebuilds the chart; new data only redraws it (below).
  }, [seriesKey, theme]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  const n = props.data[0].length;
  const last = props.data.slice(1).map((s) => (n ? (s[n - 1] ?? 0) : 0));
  return (
    <figure className="min-w-0 rounded-md border border-line bg-panel p-2">
      <figcaption className="mb-1 text-xs font-medium text-muted">{props.title}</figcaption>
      <div ref={box} id={props.id} data-testid="chart" data-points={n} data-last={JSON.stringify(last)} className="chart h-[calc(150px+2.5rem)] w-full" />
    </figure>
  );
}
