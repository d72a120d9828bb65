/**
 * The metric names a PromQL expression reads: what is left once strings,
 * label matchers, grouping clauses, durations, numbers, functions and
 * keywords are taken out. Enough for the queries of our dashboard, which
 * the test also has a real Prometheus evaluate.
 */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'inf', 'nan']);

export function metricNames(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    // label_values(selector, label): the label is no metric
    .replace(/label_values\(([^,]*),\s*\w+\s*\)/g, '($1)')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  s = s.replace(/\b[a-zA-Z_:][\w:]*\s*\(/g, '(');
  const names = new Set<string>();
  for (const m of s.matchAll(/\b[a-zA-Z_:][\w:]*\b/g)) if (!KEYWORDS.has(m[0].toLowerCase())) names.add(m[0]);
  return [...names];
}

/** Every metric a scrape's text holds, by name (from its samples). */
export function scrapedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Series Prometheus itself adds to every scrape of a target. */
export const SCRAPE_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);
