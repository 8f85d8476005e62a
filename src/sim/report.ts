/**
 * A self-contained HTML report of simulation results: one inline SVG line chart per numeric series
 * (goodput per second, attempts per minute, …), no script and no package, so it opens anywhere.
 */

/** One chart: named series of y values at x = 0, 1, 2, … (in `unit`). */
export interface SimChart {
  readonly title: string;
  readonly unit: string;
  readonly series: Readonly<Record<string, readonly number[]>>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function svg(chart: SimChart): string {
  const w = 720;
  const h = 240;
  const pad = 40;
  const all = Object.values(chart.series);
  const n = Math.max(2, ...all.map((s) => s.length));
  const max = Math.max(1, ...all.flatMap((s) => s.filter((v) => Number.isFinite(v))));
  const x = (i: number) => pad + ((w - 2 * pad) * i) / (n - 1);
  const y = (v: number) => h - pad - ((h - 2 * pad) * v) / max;
  const lines = Object.entries(chart.series).map(([name, values], k) => {
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const colour = COLOURS[k % COLOURS.length]!;
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/><text x="${w - pad}" y="${14 + 14 * k}" text-anchor="end" fill="${colour}" font-size="12">${escapeHtml(name)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}">
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#999"/>
<text x="${pad - 4}" y="${pad}" text-anchor="end" font-size="11">${max.toFixed(0)}</text><text x="${pad - 4}" y="${h - pad}" text-anchor="end" font-size="11">0</text>
<text x="${w - pad}" y="${h - pad + 16}" text-anchor="end" font-size="11">${n - 1} ${escapeHtml(chart.unit)}</text>
${lines.join('\n')}</svg>`;
}

/**
 * Renders the report: a title, the charts, and the results as JSON.
 *
 * @example
 * writeFileSync('collapse.html', renderSimReport('collapse', [chart], results));
 */
export function renderSimReport(title: string, charts: readonly SimChart[], results: unknown): string {
  const body = charts.map((c) => `<h2>${escapeHtml(c.title)}</h2>\n${svg(c)}`).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:800px}pre{background:#f4f4f4;padding:1em;overflow:auto;font-size:11px}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
<h2>Results</h2><pre>${escapeHtml(JSON.stringify(results, null, 1))}</pre></body></html>
`;
}
