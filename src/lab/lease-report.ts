/**
 * The lease-manager link in the replay's outputs: its rows in the side-by-side table the CLI prints,
 * and its section of the HTML report (leases held per group after 02:25). Kept apart from format.ts
 * and report.ts so the links of the replay stay separate.
 */
import type { LeaseGroupSummary, LeaseLinkResult } from './lease-link.js';
import { formatDuration } from './scenario.js';
import { chartSection } from './report-section.js';
import { linkText, pct } from './text-table.js';

/** The lease link as the JSON summary has it (`lease_manager`): everything but the timeline. */
export type LeaseLinkSummary = Omit<LeaseLinkResult, 'timeline'>;

/** The summary's view of a link result. */
export function leaseSummary(result: LeaseLinkResult): LeaseLinkSummary {
  const { timeline: _timeline, ...rest } = result;
  return rest;
}

function allLeases(g: LeaseGroupSummary, bound: number): string {
  if (g.all_leases_s === null) return `not within the run (${g.held} held)`;
  return `${formatDuration(g.all_leases_s)} (${(g.all_leases_s / bound).toFixed(2)}x)`;
}

/** The lease link's rows, as the CLI prints them under the replay's table. */
export function formatLeaseSummary(l: LeaseLinkSummary): string {
  const bound = l.lower_bound_s;
  const head = `lease manager (${l.phase.day}; ${l.hosts} hosts, ${l.concurrency} workers x ${l.work_ms} ms, work timeout ${l.work_timeout_ms} ms, ${l.phase.speed}x; lower bound ${formatDuration(bound)}; baseline: FIFO without bound, SDK retries; failsmall: behind admit/, failsmall's clients)`;
  return linkText<LeaseGroupSummary>('lease', head, l, [
    ['time until every lease is held', (g) => allLeases(g, bound)],
    ['goodput during the recovery', (g) => pct(g.goodput)],
    ['work wasted (started, then timed out)', (g) => String(g.wasted_work)],
    ['peak queue at the manager', (g) => String(g.peak_queue)],
    ['requests that reached the manager', (g) => String(g.requests)],
    [
      'operators throttle and restart (04:14)',
      (g) =>
        g.intervened_at_s === null
          ? 'not needed'
          : `at ${formatDuration(g.intervened_at_s)}, ${g.held_at_intervention} held`,
    ],
  ]);
}

/** The report's lease section: a table and the leases held per group (chart.js, already on the page). */
export function leaseSection(l: LeaseLinkResult | undefined): string {
  if (l === undefined) return '';
  return chartSection({
    heading: "The lease manager's recovery (02:25 PDT)",
    name: 'lease',
    canvas: 'lease-held',
    variable: 'l',
    data: {
      text: formatLeaseSummary(l),
      timeline: l.timeline,
      hosts: l.hosts,
      bound: l.lower_bound_s,
      intervention: l.baseline.intervened_at_s,
    },
    script: `  function series(g) { return l.timeline[g].map(function (p) { return { x: p.atS, y: p.held }; }); }
  var marks = [{ label: 'lower bound', borderColor: '#777', backgroundColor: '#777', borderDash: [2, 3], data: [{ x: l.bound, y: 0 }, { x: l.bound, y: l.hosts }] }];
  if (l.intervention !== null) marks.push({ label: 'operators throttle and restart', borderColor: '#d98e1e', backgroundColor: '#d98e1e', data: [{ x: l.intervention, y: 0 }, { x: l.intervention, y: l.hosts }] });
  new Chart(document.getElementById('lease-held'), {
    type: 'line',
    data: { datasets: [
      { label: 'baseline (FIFO without bound, SDK retries)', borderColor: '#b3261e', backgroundColor: '#b3261e', data: series('baseline') },
      { label: 'failsmall (behind admit/)', borderColor: '#1e6fd9', backgroundColor: '#1e6fd9', data: series('failsmall'), borderDash: [6, 4] }
    ].concat(marks) },
    options: { animation: false, responsive: true, maintainAspectRatio: false, elements: { point: { radius: 0 } },
      plugins: { title: { display: true, text: 'Leases held after 02:25 PDT (' + l.hosts + ' hosts)' }, legend: { position: 'bottom' } },
      scales: { x: { type: 'linear', title: { display: true, text: 'scenario seconds after 02:25' } }, y: { min: 0, max: l.hosts } } }
  });`,
  });
}
