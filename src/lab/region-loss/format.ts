/** The printed summary of the region-loss replay: one table, baseline beside failsmall, and the targets. */
import { pct, table } from '../text-table.js';
import type { LossGroupSummary, RegionLossSummary } from './run.js';

const seconds = (x: number | null, none = 'n/a'): string => (x === null ? none : `${x.toFixed(2)} s`);
const ratio = (ok: number, all: number): string => (all === 0 ? 'none' : `${pct(ok / all)} (${ok} of ${all})`);

/** The summary as text: what a person reads after `failsmall replay --scenario region-loss`. */
export function formatRegionLossSummary(summary: RegionLossSummary): string {
  const { baseline: b, failsmall: f } = summary.groups;
  const row = (label: string, cell: (g: LossGroupSummary) => string): string[] => [label, cell(b), cell(f)];
  const s = summary.scenario;
  const loss = summary.loss;
  const lines = [
    s.name,
    `${s.primary.name} (${s.primary.addresses.join(', ')}) and ${s.replica.name} (${s.replica.addresses.join(', ')}); replication every ${s.replication_lag_ms} ms; seed ${s.seed}; ${s.rate_per_s} requests/s per group, ${pct(s.read_share)} reads`,
    loss.from_s === null
      ? 'the primary was never lost during the run'
      : `${s.primary.name} was down from ${loss.from_s.toFixed(1)} s to ${loss.to_s === null ? 'the end' : `${loss.to_s.toFixed(1)} s`} (servers stopped, not a DNS fault)`,
    '',
    table([
      ['', 'baseline (one region)', 'failsmall (regions + outbox + cache)'],
      row('reads ok during the loss', (g) => ratio(g.region.reads_ok_during_loss, g.region.reads_during_loss)),
      row('writes acknowledged during the loss', (g) =>
        ratio(g.region.writes_acked_during_loss, g.region.writes_during_loss),
      ),
      row('writes acknowledged / attempted', (g) => `${g.region.writes_acked} / ${g.region.writes_attempted}`),
      row('acknowledged writes lost (read back)', (g) => String(g.region.writes_lost)),
      row('time to fail over (RTO)', (g) => seconds(g.region.rto_s, g === b ? 'no failover' : 'none')),
      row('time to fail back after the return', (g) => seconds(g.region.failback_s, g === b ? 'n/a' : 'none')),
      row('failback flaps', (g) => (g.region.failback_flaps === null ? 'n/a' : String(g.region.failback_flaps))),
      row('writes drained from the outbox', (g) =>
        g.region.outbox_drained === null
          ? 'n/a'
          : `${g.region.outbox_drained} in ${seconds(g.region.outbox_drain_s, 'not emptied')}`,
      ),
      row('overload rejections by the returning region', (g) =>
        g.region.returning_rejected_share === null ? 'n/a' : pct(g.region.returning_rejected_share),
      ),
      row('reads from primary / replica / cache', (g) =>
        g.region.reads_from === null
          ? 'primary only'
          : `${g.region.reads_from.primary} / ${g.region.reads_from.replica} / ${g.region.reads_from.cache}`,
      ),
      row('requests ok over the run', (g) => `${pct(g.success)} of ${g.requests}`),
    ]),
    '',
    'targets (failsmall):',
    ...Object.entries(summary.targets).map(
      ([name, t]) => `  ${t.met ? 'met   ' : 'MISSED'} ${name} = ${String(t.value)} (target ${t.target})`,
    ),
    ...(summary.aborted ? ['', 'The run was stopped before its end.'] : []),
  ];
  return lines.join('\n');
}
