/**
 * The health link in the replay's outputs: its rows in the side-by-side table the CLI prints, and its
 * section of the HTML report (a stepped timeline of each group's record set). Kept apart from
 * format.ts and report.ts so the links of the replay stay separate.
 */
import type { HealthGroupSummary, HealthLinkResult } from './health-link.js';
import { formatDuration } from './scenario.js';
import { chartSection } from './report-section.js';
import { linkText, pct } from './text-table.js';

/** The health link as the JSON summary has it (`health`): everything but the timeline. */
export type HealthLinkSummary = Omit<HealthLinkResult, 'timeline'>;

/** The summary's view of a link result. */
export function healthSummary(result: HealthLinkResult): HealthLinkSummary {
  const { timeline: _timeline, ...rest } = result;
  return rest;
}

/** The health link's rows, as the CLI prints them under the replay's table. */
export function formatHealthSummary(h: HealthLinkSummary): string {
  const head = `health checks flapping (${h.phase.day}; ${formatDuration(h.phase.from_s)} to ${formatDuration(h.phase.to_s)}, ${h.nodes} nodes; baseline: one source, immediate removal, AZ DNS failover; failsmall: a second source, quorum, at most ${h.failsmall.velocity_limit} removed per ${formatDuration(h.failsmall.window_s)}, floor ${pct(h.failsmall.floor_share)}, fail-open)`;
  return linkText<HealthGroupSummary>('health', head, h, [
    ['least capacity in the record set', (g) => pct(g.min_capacity_share)],
    ['time with less than full capacity', (g) => formatDuration(g.degraded_s)],
    ['requests ok during the flapping', (g) => `${pct(g.success_during_flap)} of ${g.requests_during_flap}`],
    ['overload rejections', (g) => String(g.overload_rejections)],
    ['targets removed (most per window)', (g) => `${g.removals} (${g.max_removed_per_window})`],
    ['escalations to a human', (g) => String(g.escalations)],
  ]);
}

/** The report's health section: a table and the record set's size per group (chart.js, already on the page). */
export function healthSection(h: HealthLinkResult | undefined): string {
  if (h === undefined) return '';
  return chartSection({
    heading: 'Health checks that remove healthy capacity',
    name: 'health',
    canvas: 'health-record',
    variable: 'h',
    data: {
      text: formatHealthSummary(h),
      timeline: h.timeline,
      nodes: h.nodes,
      from: h.phase.from_s,
      to: h.phase.to_s,
    },
    script: `  function series(g) { return h.timeline.map(function (p) { return { x: p.atS, y: p[g] }; }); }
  new Chart(document.getElementById('health-record'), {
    type: 'line',
    data: { datasets: [
      { label: 'baseline (one source, AZ failover)', borderColor: '#b3261e', backgroundColor: '#b3261e', data: series('baseline'), stepped: true },
      { label: 'failsmall (quorum, velocity, floor, fail-open)', borderColor: '#1e6fd9', backgroundColor: '#1e6fd9', data: series('failsmall'), stepped: true, borderDash: [6, 4] }
    ] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, elements: { point: { radius: 0 } },
      plugins: { title: { display: true, text: 'Nodes in each group\\'s record set while health checks flap (' + h.nodes + ' nodes)' }, legend: { position: 'bottom' } },
      scales: { x: { type: 'linear', title: { display: true, text: 'scenario seconds' } }, y: { min: 0, max: h.nodes, ticks: { stepSize: 1 } } } }
  });`,
  });
}
