/** Number formats for streaming values: fixed decimals and SI steps, so a column's width holds still. */
const STEPS = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
] as const;

export function si(v: number | undefined, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return `0${unit ? ' ' + unit : ''}`;
  for (const [f, p] of STEPS) if (Math.abs(v) >= f) return `${(v / f).toFixed(2)} ${p}${unit}`;
  return `${v < 10 && v % 1 !== 0 ? v.toFixed(1) : v.toFixed(0)}${unit ? ' ' + unit : ''}`;
}

export const pps = (v: number | undefined) => si(v, 'p/s').replace(' p/s', '').replace(/ ([kMG])p\/s$/, '$1');
export const bytesPs = (v: number | undefined) => si(v, 'B/s');
export const count = (v: number) => v.toLocaleString('en-US');

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ago`;
}

export function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return d ? `${d}d ${h}h` : h ? `${h}h ${m}m` : `${m}m ${Math.floor(seconds % 60)}s`;
}
