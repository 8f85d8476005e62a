/**
 * The HTML report of a drill: one self-contained file (no script, no external resource) with the
 * figures (steady state before/after, time to detect, RTO, writes lost, for the fault and the
 * failback), a timeline drawn in SVG (the hypothesis polled, green where it held and red where it did
 * not, with the fault, detection, recovery and failback marked) and the journal of every step.
 */
import type { DrillRun } from './runner.js';

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const fmt = (v: unknown): string =>
  v === null || v === undefined ? '–' : typeof v === 'number' ? String(v) : String(v);

/**
 * Renders `run` as an HTML page.
 *
 * @example
 * writeFileSync('drill.html', renderDrillReport(await runDrill(experiment)));
 */
export function renderDrillReport(run: DrillRun): string {
  const { result, samples, steps, startedAt } = run;
  const end = Math.max(startedAt + 1, ...steps.map((s) => s.at), ...samples.map((s) => s.at));
  const width = 960;
  const x = (at: number): number => 40 + ((at - startedAt) / (end - startedAt)) * (width - 60);
  const bars: string[] = [];
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const next = samples[i + 1]?.at ?? s.at + 1;
    bars.push(
      `<rect class="sample ${s.ok ? 'ok' : 'bad'}" x="${x(s.at).toFixed(1)}" y="30" width="${Math.max(1, x(next) - x(s.at)).toFixed(1)}" height="40"><title>${new Date(s.at).toISOString()} ${s.ok ? 'holds' : 'deviated'}</title></rect>`,
    );
  }
  const marks: [string, string | null][] = [
    ['fault', result.fault_at],
    ['detected', result.detected_at],
    ['recovered', result.recovered_at],
    ['failback', result.failback?.at ?? null],
    ['failback detected', result.failback?.detected_at ?? null],
    ['failback recovered', result.failback?.recovered_at ?? null],
  ];
  const markSvg = marks
    .filter((m): m is [string, string] => m[1] !== null)
    .map(([label, at], i) => {
      const px = x(Date.parse(at)).toFixed(1);
      return `<g class="mark" data-mark="${escape(label)}"><line x1="${px}" x2="${px}" y1="20" y2="80"/><text x="${px}" y="${96 + (i % 3) * 14}">${escape(label)}</text></g>`;
    })
    .join('');
  const seconds = (end - startedAt) / 1000;
  const axis = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) => `<text class="axis" x="${(40 + f * (width - 60)).toFixed(1)}" y="14">${(f * seconds).toFixed(1)} s</text>`,
    )
    .join('');
  const figures: [string, unknown][] = [
    ['status', result.status],
    ['steady state before', result.steady_state_before],
    ['steady state after', result.steady_state_after],
    ['deviated', result.deviated],
    ['time to detect (s)', result.time_to_detect_s],
    ['RTO (s)', result.rto_s],
    ['writes lost (RPO)', result.rpo_writes_lost],
    ['writes acknowledged', result.writes_acknowledged],
    ['failback: time to detect (s)', result.failback?.time_to_detect_s],
    ['failback: RTO (s)', result.failback?.rto_s],
    ['failback: writes lost', result.failback?.rpo_writes_lost],
  ];
  const rows = steps
    .filter((s) => s.kind !== 'poll' || s.status !== 'ok')
    .map(
      (s) =>
        `<tr class="${escape(s.status)}"><td>${((s.at - startedAt) / 1000).toFixed(3)}</td><td>${escape(s.phase)}</td><td>${escape(s.kind)}</td><td>${escape(s.name)}</td><td>${escape(s.status)}</td><td>${escape(s.error ?? '')}</td></tr>`,
    )
    .join('\n');
  const rollbacks = result.rollbacks
    .map(
      (r) =>
        `<li class="${r.status}">${escape(r.name)}: ${r.status}${r.error === undefined ? '' : ` (${escape(r.error)})`}</li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drill: ${escape(result.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}
.sample.ok{fill:#3a3}.sample.bad{fill:#c33}.mark line{stroke:#000;stroke-dasharray:3 2}.mark text,.axis{font-size:11px}
tr.failed td,tr.deviated td{background:#fdd}li.failed{color:#a00}
</style></head><body>
<h1>${escape(result.title)}</h1>
<p id="status">${escape(result.status)}: started ${escape(result.started_at)}, ${result.duration_s} s</p>
<table id="figures">${figures.map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(fmt(v))}</td></tr>`).join('')}</table>
<h2>Timeline</h2>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="140" viewBox="0 0 ${width} 140">${axis}${bars.join('')}${markSvg}</svg>
<h2>Rollbacks</h2><ul id="rollbacks">${rollbacks || '<li>none</li>'}</ul>
<h2>Journal</h2>
<table id="journal"><tr><th>t (s)</th><th>phase</th><th>kind</th><th>name</th><th>status</th><th>error</th></tr>
${rows}</table>
</body></html>
`;
}
