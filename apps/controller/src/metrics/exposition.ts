/**
 * The Prometheus text exposition format (version 0.0.4), written directly:
 * a scrape of 535 devices is 18,000 series, and a general-purpose registry
 * that keys every series by a label object spends most of a scrape hashing
 * those objects. Here a device's label text is made once and reused by every
 * series and every scrape of that device; a series is then one string
 * concatenation.
 */

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `a="x",b="y"` for the given labels, in their order. */
export function labelText(labels: Record<string, string>): string {
  let s = '';
  for (const k in labels) s += `${s ? ',' : ''}${k}="${escapeLabel(labels[k]!)}"`;
  return s;
}

export type MetricType = 'gauge' | 'counter';

export interface Family<T> {
  name: string;
  type: MetricType;
  help: string;
  /** Label names in order, beyond the row's own (documentation and tests). */
  labels: readonly string[];
  /** Appends the family's series for one row; `name{` + labels + `} ` + value per series. */
  write: (row: T, series: (labels: string, value: number) => void) => void;
}

/** One family over rows: its HELP and TYPE lines, then a line per series. */
export function renderFamily<T>(family: Family<T>, rows: readonly T[]): string {
  let out = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
  const head = family.name + '{';
  const series = (labels: string, value: number) => {
    out += head + labels + '} ' + value + '\n';
  };
  for (const row of rows) family.write(row, series);
  return out;
}
