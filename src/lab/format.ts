/**
 * Plain-text rendering of the replay's summary: the side-by-side table the CLI prints, and the
 * one-line progress display.
 */
import type { ReplayProgress, ReplaySummary } from './replay.js';
import { formatDuration } from './scenario.js';
import { formatHealthSummary } from './health-report.js';
import { formatLeaseSummary } from './lease-report.js';
import { groupTable, pct, targetLines } from './text-table.js';

/**
 * The side-by-side summary, as the CLI prints it.
 *
 * @example
 * console.log(formatSummary(summary));
 */
export function formatSummary(summary: ReplaySummary): string {
  const lines: string[] = [];
  const s = summary.scenario;
  lines.push(`${s.name}`);
  lines.push(`compressed ${s.compression}; seed ${s.seed}; ${s.rate_per_s} requests/s per group`);
  lines.push(
    summary.legacy_plan.emptied_at_s === null
      ? `the record was never seen empty during the run (the empty window below is the scenario's: ${formatDuration(summary.empty_window.from_s)} to ${formatDuration(summary.empty_window.to_s)})`
      : `the record was empty from ${formatDuration(summary.empty_window.from_s)} to ${formatDuration(summary.empty_window.to_s)} (${formatDuration(summary.empty_window.duration_s)} of scenario time)`,
  );
  lines.push('');
  lines.push(
    groupTable(
      ['baseline', 'failsmall'],
      [summary.groups.baseline, summary.groups.failsmall],
      [
        ['reads ok while the record was empty', (g) => pct(g.read_success_during_empty)],
        [
          'requests ok while the record was empty',
          (g) => `${pct(g.success_during_empty)} of ${g.requests_during_empty}`,
        ],
        ['peak amplification (attempts/request)', (g) => g.peak_amplification.toFixed(2)],
        ['recovery after the restore', (g) => (g.recovery_s === null ? 'never' : formatDuration(g.recovery_s))],
        ['requests ok over the run', (g) => `${pct(g.success)} of ${g.requests}`],
        ['latency p50 / p99 (real ms)', (g) => `${g.p50_ms} / ${g.p99_ms}`],
        ['DNS queries sent', (g) => String(g.dns_queries)],
      ],
    ),
  );
  lines.push('');
  const plan = (p: ReplaySummary['safe_plan']): string =>
    `${p.record_emptied ? 'record EMPTIED' : 'record never emptied'}${p.stuck === true ? ', enactors stuck' : ''}`;
  lines.push(`plan, legacy mode: ${plan(summary.legacy_plan)}`);
  lines.push(`plan, safe mode:   ${plan(summary.safe_plan)}`);
  lines.push('');
  lines.push('targets:', ...targetLines(summary.targets));
  if (summary.lease_manager !== undefined) lines.push('', formatLeaseSummary(summary.lease_manager));
  if (summary.health !== undefined) lines.push('', formatHealthSummary(summary.health));
  if (summary.aborted) lines.push('\n(stopped before the end: the figures cover what ran)');
  return lines.join('\n');
}

/** One line of progress: `[ 42%] 1h28m  empty   baseline   0%  failsmall 100%  record 0 addresses`. */
export function formatProgress(p: ReplayProgress): string {
  const done = Math.min(100, Math.floor((p.atS / p.totalS) * 100));
  const groups = Object.entries(p.success)
    .map(([g, v]) => `${g} ${v === null ? '   -' : pct(v).padStart(4)}`)
    .join('  ');
  return `[${String(done).padStart(3)}%] ${formatDuration(p.atS).padStart(7)}  ${p.phase.kind.padEnd(7)}  ${groups}  record ${p.recordAddresses} address${p.recordAddresses === 1 ? '' : 'es'}`;
}
