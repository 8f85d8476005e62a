/**
 * The pieces of the replay's HTML report that every section shares: JSON that is safe inside a
 * `<script>` element, and the scaffolding of a link's section (a heading, its printed summary, one
 * chart fed from a JSON block). Kept apart from report.ts so that each link's report module builds
 * its own section without importing the page.
 */

/** JSON safe inside a `<script>` element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** What {@link chartSection} draws. */
export interface ChartSection {
  /** The section's heading (HTML). */
  readonly heading: string;
  /** Prefix of the element ids: `<name>-summary` (the text), `<name>-data` (the JSON block). */
  readonly name: string;
  /** The id of the chart's canvas. */
  readonly canvas: string;
  /** The script's name for the data; its `text` is shown above the chart. */
  readonly variable: string;
  readonly data: { readonly text: string } & Readonly<Record<string, unknown>>;
  /** The chart's code (chart.js is already on the page), run with the data in `variable`. */
  readonly script: string;
}

/** A link's section of the report: heading, printed summary, one chart. */
export function chartSection(s: ChartSection): string {
  return `<h2>${s.heading}</h2>
<pre id="${s.name}-summary"></pre>
<div class="chart"><canvas id="${s.canvas}"></canvas></div>
<script type="application/json" id="${s.name}-data">${scriptJson(s.data)}</script>
<script>
(function () {
  var ${s.variable} = JSON.parse(document.getElementById('${s.name}-data').textContent);
  document.getElementById('${s.name}-summary').textContent = ${s.variable}.text;
${s.script}
  window.__replayCharts = (window.__replayCharts || 0) + 1;
})();
</script>`;
}
