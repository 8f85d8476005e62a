/**
 * The replay's report: one self-contained HTML file with the timelines as charts. chart.js (its UMD
 * build, read from the installed package) is inlined in a `<script>`, the data in a JSON block: the
 * file opens offline, from disk, anywhere. The page states the compression so nobody mistakes 78
 * seconds for 2 h 37 min.
 *
 * @see https://www.chartjs.org/docs/latest/
 */
import { readFileSync } from 'node:fs';
import { resolveChartJs } from './peers.js';
import { dirname, join } from 'node:path';
import { FailsmallError } from '../core/index.js';
import { effectiveTtlS, formatDuration, realDurationMs, wireTtl } from './scenario.js';
import type { Scenario } from './scenario.js';
import type { GroupSummary, Timeline } from './timeline.js';
import type { HealthLinkResult } from './health-link.js';
import { healthSection } from './health-report.js';
import type { LeaseLinkResult } from './lease-link.js';
import { leaseSection } from './lease-report.js';
import { scriptJson } from './report-section.js';

/** What a plan run did to its record (from plan's `runRace` and the lab's own observation). */
export interface PlanOutcome {
  /** Whether the record set was ever empty. */
  readonly record_emptied: boolean;
  /** Whether a later plan could no longer be applied, when known. */
  readonly stuck?: boolean;
  /** Addresses the record held at the end. */
  readonly final_addresses?: readonly string[];
}

/** Everything the report shows. */
export interface ReportData {
  readonly scenario: Scenario;
  readonly timeline: Timeline;
  readonly summary: Readonly<Record<string, GroupSummary>>;
  /** The empty window actually observed, scenario seconds. */
  readonly emptyWindow: { readonly fromS: number; readonly toS: number };
  readonly plans?: { readonly legacy?: PlanOutcome; readonly safe?: PlanOutcome };
  /** Short sentences shown under the summary (what each group is, caveats). */
  readonly notes?: readonly string[];
  /** ISO time of the run. */
  readonly generatedAt?: string;
  /** The lease-manager link, when it ran. */
  readonly lease?: LeaseLinkResult;
  /** The health link, when it ran. */
  readonly health?: HealthLinkResult;
}

let chartJsSource: string | undefined;

/** The chart.js UMD bundle's text, read once from the installed package. */
export function chartJs(): string {
  if (chartJsSource !== undefined) return chartJsSource;
  try {
    const main = resolveChartJs(); // …/chart.js/dist/chart.cjs
    chartJsSource = readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
  } catch (error) {
    throw new FailsmallError(
      'FS_ERR_LAB_REPORT',
      `Cannot read chart.js to inline it in the report: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return chartJsSource;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const pct = (x: number): string => `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 2)}%`;

function summaryTable(data: ReportData): string {
  const groups = Object.keys(data.summary);
  const row = (label: string, cell: (s: GroupSummary) => string): string =>
    `<tr><th>${escapeHtml(label)}</th>${groups.map((g) => `<td>${escapeHtml(cell(data.summary[g]!))}</td>`).join('')}</tr>`;
  return `<table class="summary"><thead><tr><th></th>${groups.map((g) => `<th>${escapeHtml(g)}</th>`).join('')}</tr></thead><tbody>
${row('success while the record was empty', (s) => `${pct(s.success_during_empty)} of ${s.requests_during_empty}`)}
${row('reads succeeding while empty', (s) => pct(s.read_success_during_empty))}
${row('peak amplification (attempts per request)', (s) => s.peak_amplification.toFixed(2))}
${row('amplification over the run', (s) => s.amplification.toFixed(2))}
${row('recovery after the restore', (s) => (s.recovery_s === null ? 'not within the run' : formatDuration(s.recovery_s)))}
${row('success over the run', (s) => `${pct(s.success)} of ${s.requests}`)}
${row('latency p50 / p99 (real ms)', (s) => `${s.p50_ms} / ${s.p99_ms}`)}
${row(
  'failures by error',
  (s) =>
    Object.entries(s.errors)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none',
)}
</tbody></table>`;
}

function plansText(data: ReportData): string {
  const { legacy, safe } = data.plans ?? {};
  const line = (mode: string, p: PlanOutcome | undefined): string =>
    p === undefined
      ? ''
      : `<li><b>${mode}</b>: the record ${p.record_emptied ? '<span class="bad">was emptied</span>' : '<span class="good">never emptied</span>'}${p.stuck === true ? ', and later plans could no longer be applied (stuck)' : ''}${p.final_addresses === undefined ? '' : `; at the end it held ${p.final_addresses.length} address(es)`}.</li>`;
  const items = line('legacy mode (2025-10-20 automation)', legacy) + line('safe mode (fenced enactment)', safe);
  return items === '' ? '' : `<h2>The plan runs</h2><ul>${items}</ul>`;
}

/**
 * Renders the report as one HTML document (about 220 KB, most of it chart.js).
 *
 * @example
 * writeFileSync('replay.html', renderReport({ scenario, timeline, summary, emptyWindow }));
 */
export function renderReport(data: ReportData): string {
  const s = data.scenario;
  const realS = realDurationMs(s) / 1000;
  const empty = data.emptyWindow;
  const compression = `Compressed ${s.speed}×: one real second is ${formatDuration(s.speed)} of the day. The run took ${realS.toFixed(0)} real seconds for ${formatDuration(s.totalS)} of the outage; the record stayed empty for ${formatDuration(empty.toS - empty.fromS)} (${((empty.toS - empty.fromS) / s.speed).toFixed(1)} real s). The record's TTL of ${formatDuration(s.region.ttlS)} is ${wireTtl(s)} s on the wire (DNS carries whole seconds), an effective ${formatDuration(effectiveTtlS(s))}. Latencies and per-second rates are real time; the time axis is scenario time.`;
  const phases = s.phases.map((p) => ({
    kind: p.kind,
    startS: p.startS,
    endS: p.endS,
    at: p.at ?? '',
    note: p.note ?? '',
  }));
  const payload = {
    timeline: data.timeline,
    phases,
    emptyWindow: empty,
    groups: Object.keys(data.summary),
  };
  const chartSource = chartJs().replace(/<\/script/gi, '<\\/script');
  const notes = (data.notes ?? []).map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  const phaseList = s.phases
    .map(
      (p) =>
        `<li><b>${escapeHtml(p.kind)}</b> ${p.at === undefined ? '' : `(${escapeHtml(p.at)}) `}for ${formatDuration(p.durationS)}${p.note === undefined ? '' : `: ${escapeHtml(p.note)}`}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>failsmall replay: ${escapeHtml(s.name)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.compression { background: #fff8e1; border-left: 4px solid #f5a623; padding: .6rem .9rem; }
table.summary { border-collapse: collapse; margin: 1rem 0; } table.summary th, table.summary td { border-bottom: 1px solid #ddd; padding: .35rem .8rem; text-align: left; }
table.summary td { font-variant-numeric: tabular-nums; }
.bad { color: #b3261e; font-weight: 600; } .good { color: #1e7b34; font-weight: 600; }
.charts { display: grid; grid-template-columns: 1fr; gap: 1.5rem; } .chart { position: relative; height: 300px; }
small, .muted { color: #5f6b7a; }
</style>
</head>
<body>
<h1>failsmall replay: ${escapeHtml(s.name)}</h1>
<p class="muted">Generated ${escapeHtml(data.generatedAt ?? new Date().toISOString())}, seed ${s.seed}, ${s.load.rate} logical requests per real second per group, ${s.region.addresses.length} table nodes.</p>
<p class="compression" id="compression">${escapeHtml(compression)}</p>
<h2>Side by side</h2>
${summaryTable(data)}
${notes === '' ? '' : `<ul class="muted">${notes}</ul>`}
${plansText(data)}
<h2>Timelines</h2>
<p class="muted">Shaded: the window in which the record was empty (red) and the restore until cached empty answers expired (amber).</p>
<div class="charts">
<div class="chart"><canvas id="success"></canvas></div>
<div class="chart"><canvas id="amplification"></canvas></div>
<div class="chart"><canvas id="latency"></canvas></div>
<div class="chart"><canvas id="dns"></canvas></div>
<div class="chart"><canvas id="table"></canvas></div>
<div class="chart"><canvas id="record"></canvas></div>
</div>
<h2>The scenario</h2>
<ul>${phaseList}</ul>
<script type="application/json" id="replay-data">${scriptJson(payload)}</script>
<script>${chartSource}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('replay-data').textContent);
  var tl = data.timeline;
  var colors = ['#b3261e', '#1e6fd9', '#1e7b34', '#8e44ad', '#d35400'];
  var total = tl.t.length * tl.bucketS;
  function label(v) {
    var s = Math.round(v), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return total >= 3600 ? h + ':' + (m < 10 ? '0' : '') + m : m + ':' + (sec < 10 ? '0' : '') + sec;
  }
  // Each value sits at the middle of its bucket, on a linear axis of scenario seconds.
  function points(values) {
    return values.map(function (v, i) { return { x: tl.t[i] + tl.bucketS / 2, y: v }; });
  }
  var restore = data.phases.filter(function (p) { return p.kind === 'restore'; })[0];
  var bands = {
    id: 'bands',
    beforeDatasetsDraw: function (chart) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      function band(from, to, color) {
        var a = Math.max(area.left, x.getPixelForValue(from)), b = Math.min(area.right, x.getPixelForValue(to));
        if (b > a) { ctx.fillStyle = color; ctx.fillRect(a, area.top, b - a, area.bottom - area.top); }
      }
      ctx.save();
      band(data.emptyWindow.fromS, data.emptyWindow.toS, 'rgba(179, 38, 30, 0.09)');
      if (restore) band(restore.startS, restore.endS, 'rgba(245, 166, 35, 0.14)');
      ctx.restore();
    }
  };
  function chart(id, title, datasets, y) {
    datasets.forEach(function (d) { d.data = points(d.data); });
    return new Chart(document.getElementById(id), {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, spanGaps: true, parsing: true,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 2, tension: 0 } },
        plugins: {
          title: { display: true, text: title }, legend: { position: 'bottom' },
          tooltip: { callbacks: { title: function (items) { return items.length ? label(items[0].parsed.x) : ''; } } }
        },
        scales: {
          x: { type: 'linear', min: 0, max: total, title: { display: true, text: total >= 3600 ? 'scenario time (h:mm from the start)' : 'scenario time (m:ss from the start)' },
               ticks: { maxTicksLimit: 14, callback: function (v) { return label(v); } } },
          y: y
        }
      },
      plugins: [bands]
    });
  }
  function perGroup(field, scale, suffix) {
    return data.groups.map(function (g, i) {
      return { label: g + (suffix || ''), borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length],
        data: tl.groups[g][field].map(function (v) { return v === null ? null : v * (scale || 1); }) };
    });
  }
  var charts = [];
  charts.push(chart('success', 'Logical requests that succeeded (%)', perGroup('success', 100), { min: 0, max: 100, title: { display: true, text: '%' } }));
  charts.push(chart('amplification', 'HTTP attempts per logical request (amplification)', perGroup('amplification'), { min: 0, title: { display: true, text: 'attempts / request' } }));
  var latency = perGroup('p50Ms', 1, ' p50').concat(perGroup('p99Ms', 1, ' p99').map(function (d) { d.borderDash = [6, 4]; return d; }));
  charts.push(chart('latency', 'Latency of logical requests (real ms)', latency, { type: 'logarithmic', title: { display: true, text: 'ms' } }));
  var dns = [{ label: 'all clients', borderColor: '#333', backgroundColor: '#333', data: tl.dnsQps }];
  data.groups.forEach(function (g, i) {
    if (tl.groups[g].dnsQps.some(function (v) { return v !== null; })) dns.push({ label: g, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length], data: tl.groups[g].dnsQps });
  });
  charts.push(chart('dns', 'DNS queries per real second at the region\\'s DNS server', dns, { min: 0, title: { display: true, text: 'queries / s' } }));
  charts.push(chart('table', 'Table service load', [
    { label: 'HTTP requests / real s', borderColor: '#1e6fd9', backgroundColor: '#1e6fd9', data: tl.table.rps },
    { label: 'overload answers / real s', borderColor: '#b3261e', backgroundColor: '#b3261e', data: tl.table.rejectedPerS },
    { label: 'peak queued', borderColor: '#d35400', backgroundColor: '#d35400', data: tl.table.queued },
    { label: 'peak in service', borderColor: '#8e44ad', backgroundColor: '#8e44ad', data: tl.table.inService }
  ], { min: 0 }));
  charts.push(chart('record', 'Addresses in the record set', [
    { label: 'legacy plan run (the record clients resolve)', borderColor: '#b3261e', backgroundColor: '#b3261e', data: tl.recordAddresses, stepped: true },
    { label: 'safe plan run (twin record)', borderColor: '#1e7b34', backgroundColor: '#1e7b34', data: tl.safeRecordAddresses, stepped: true, borderDash: [6, 4] }
  ], { min: 0, ticks: { stepSize: 1 } }));
  window.__replayCharts = (window.__replayCharts || 0) + charts.length;
})();
</script>
${leaseSection(data.lease)}
${healthSection(data.health)}
</body>
</html>
`;
}
