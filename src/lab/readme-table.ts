/**
 * The README's replay table: ONE copy, rendered from the JSON of a real run (`failsmall replay
 * --json`) by `npm run readme:replay`, with the date, commit and Node version it was measured on.
 * The JSON is read tolerantly: a section that is missing drops its rows, a section this code does
 * not know (a newer link of the replay) is listed by name, so the generator keeps working while the
 * replay grows. Internal to the repository's scripts and tests (not exported).
 */
import { formatDuration } from './scenario.js';
import { pct } from './text-table.js';

export const README_REPLAY_OPEN = '<!-- replay:table -->';
export const README_REPLAY_CLOSE = '<!-- /replay:table -->';

/** Where and when the run was measured. */
export interface ReplayProvenance {
  /** `YYYY-MM-DD`. */
  readonly date: string;
  /** The short commit hash. */
  readonly commit: string;
  /** `process.version`. */
  readonly node: string;
  /** e.g. `linux x64, 2 cores, load average 1.2`. */
  readonly machine: string;
}

/** The sections of the replay's JSON rendered as rows (others are named after the table). */
const KNOWN = new Set([
  'scenario',
  'empty_window',
  'groups',
  'legacy_plan',
  'safe_plan',
  'targets',
  'region',
  'failsmall_guard',
  'health',
  'lease_manager',
  'aborted',
  'real_elapsed_s',
]);

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The Markdown block (header line, table, notes) for the JSON `summary` of one run. */
export function renderReplayBlock(summary: unknown, at: ReplayProvenance): string {
  const root = obj(summary) ?? {};
  const s = obj(root['scenario']) ?? {};
  const groups = obj(root['groups']) ?? {};
  const names = ['baseline', 'failsmall'].filter((g) => obj(groups[g]) !== undefined);
  const lines: string[] = [];
  lines.push(
    `Measured on ${at.date}, commit ${at.commit}, Node ${at.node} (${at.machine}) by \`npm run readme:replay\`: ` +
      `${cell(String(s['name'] ?? 'the replay'))}, compressed ${cell(String(s['compression'] ?? '?'))}; seed ${String(s['seed'] ?? '?')}; ` +
      `${String(s['rate_per_s'] ?? '?')} requests/s per group.`,
  );
  const w = obj(root['empty_window']);
  if (w !== undefined && num(w['from_s']) !== undefined && num(w['to_s']) !== undefined) {
    lines.push(
      `The record was empty from ${formatDuration(num(w['from_s'])!)} to ${formatDuration(num(w['to_s'])!)} (${formatDuration(num(w['duration_s']) ?? num(w['to_s'])! - num(w['from_s'])!)} of scenario time).`,
    );
  }
  lines.push('');
  const rows: [string, (g: Obj) => string | undefined][] = [
    ['reads ok while the record was empty', (g) => fmt(g['read_success_during_empty'], pct)],
    [
      'requests ok while the record was empty',
      (g) => both(fmt(g['success_during_empty'], pct), g['requests_during_empty']),
    ],
    ['peak amplification (attempts/request)', (g) => fmt(g['peak_amplification'], (x) => x.toFixed(2))],
    [
      'recovery after the restore',
      (g) =>
        'recovery_s' in g ? (g['recovery_s'] === null ? 'never' : fmt(g['recovery_s'], formatDuration)) : undefined,
    ],
    ['requests ok over the run', (g) => both(fmt(g['success'], pct), g['requests'])],
    [
      'latency p50 / p99 (real ms)',
      (g) => (num(g['p50_ms']) === undefined ? undefined : `${String(g['p50_ms'])} / ${String(g['p99_ms'])}`),
    ],
    ['DNS queries sent', (g) => fmt(g['dns_queries'], String)],
  ];
  lines.push(`| | ${names.join(' | ')} |`, `|---|${names.map(() => '---:').join('|')}|`);
  for (const [label, get] of rows) {
    const cells = names.map((n) => get(obj(groups[n])!));
    if (cells.every((c) => c === undefined)) continue;
    lines.push(`| ${label} | ${cells.map((c) => cell(c ?? '–')).join(' | ')} |`);
  }
  // The later links of the replay, each from the day's state at its hour, in the same columns.
  const lease = obj(root['lease_manager']);
  const health = obj(root['health']);
  const links: [string, Obj | undefined, (g: Obj) => string | undefined][] = [
    [
      `lease manager from 02:25: all ${String(lease?.['hosts'] ?? '')} leases held after (lower bound ${fmt(lease?.['lower_bound_s'], formatDuration) ?? '?'})`,
      lease,
      (g) => {
        const t = fmt(g['all_leases_s'], formatDuration) ?? 'never';
        return num(g['intervened_at_s']) === undefined ? t : `${t}, after the operators' 04:14 intervention`;
      },
    ],
    [
      'lease manager: work wasted / peak queue',
      lease,
      (g) =>
        num(g['wasted_work']) === undefined ? undefined : `${String(g['wasted_work'])} / ${String(g['peak_queue'])}`,
    ],
    [
      'health checks flapping: lowest capacity kept / nodes removed',
      health,
      (g) =>
        num(g['min_capacity_share']) === undefined
          ? undefined
          : `${pct(num(g['min_capacity_share'])!)} / ${String(g['removals'])}`,
    ],
  ];
  for (const [label, section, get] of links) {
    if (section === undefined) continue;
    const cells = names.map((n) => {
      const g = obj(section[n]);
      return g === undefined ? undefined : get(g);
    });
    if (cells.every((c) => c === undefined)) continue;
    lines.push(`| ${cell(label)} | ${cells.map((c) => cell(c ?? '–')).join(' | ')} |`);
  }
  lines.push('');
  const plan = (p: Obj | undefined): string | undefined =>
    p === undefined
      ? undefined
      : `${p['record_emptied'] === true ? 'record EMPTIED' : 'record never emptied'}${p['stuck'] === true ? ', enactors stuck' : ''}`;
  const legacy = plan(obj(root['legacy_plan']));
  const safe = plan(obj(root['safe_plan']));
  if (legacy !== undefined) lines.push(`Plan, legacy mode: ${legacy}.`);
  if (safe !== undefined) lines.push(`Plan, safe mode: ${safe}.`);
  const targets = obj(root['targets']);
  if (targets !== undefined) {
    const all = Object.entries(targets).map(([name, t]) => ({ name, met: obj(t)?.['met'] === true }));
    const missed = all.filter((t) => !t.met).map((t) => `\`${t.name}\``);
    lines.push(
      `Targets: ${all.length - missed.length} of ${all.length} met${missed.length > 0 ? ` (missed: ${missed.join(', ')})` : ''}.`,
    );
  }
  const more = Object.keys(root).filter((k) => !KNOWN.has(k));
  if (more.length > 0)
    lines.push(`Also in the run's JSON: ${more.map((k) => `\`${k}\``).join(', ')} (docs/replay.md).`);
  return lines.join('\n');
}

function fmt(v: unknown, f: (x: number) => string): string | undefined {
  const x = num(v);
  return x === undefined ? undefined : f(x);
}

function both(share: string | undefined, count: unknown): string | undefined {
  return share === undefined ? undefined : num(count) === undefined ? share : `${share} of ${String(count)}`;
}

/** `readme` with the text between the replay markers replaced by `block`; throws when a marker is missing. */
export function replaceReplayBlock(readme: string, block: string): string {
  const from = readme.indexOf(README_REPLAY_OPEN);
  const to = readme.indexOf(README_REPLAY_CLOSE);
  if (from < 0 || to < from) throw new Error(`README.md has no ${README_REPLAY_OPEN} … ${README_REPLAY_CLOSE} block`);
  return `${readme.slice(0, from + README_REPLAY_OPEN.length)}\n${block}\n${readme.slice(to)}`;
}

/** What is wrong with the replay block of `readme` (empty when it is well-formed). */
export function checkReplayBlock(readme: string): string[] {
  const problems: string[] = [];
  const from = readme.indexOf(README_REPLAY_OPEN);
  const to = readme.indexOf(README_REPLAY_CLOSE);
  if (from < 0 || to < from) return [`no ${README_REPLAY_OPEN} … ${README_REPLAY_CLOSE} block`];
  if (readme.indexOf(README_REPLAY_OPEN, from + 1) >= 0) problems.push('more than one replay block');
  const lines = readme
    .slice(from + README_REPLAY_OPEN.length, to)
    .split('\n')
    .filter((l) => l.trim() !== '');
  const header = lines[0] ?? '';
  if (
    !/^Measured on \d{4}-\d{2}-\d{2}, commit [0-9a-f]{7,40}, Node v\d+\.\d+\.\d+ \(.+\) by `npm run readme:replay`/.test(
      header,
    )
  ) {
    problems.push(`the header line does not give the date, commit and Node version: ${JSON.stringify(header)}`);
  }
  const rows = lines.filter((l) => l.startsWith('|'));
  if (rows.length < 3) problems.push('the table has no rows');
  const columns = (l: string): number => l.replace(/\\\|/g, '').split('|').length;
  const width = rows[0] === undefined ? 0 : columns(rows[0]);
  for (const r of rows) if (columns(r) !== width) problems.push(`a row has another number of columns: ${r}`);
  if (rows[1] !== undefined && !/^\|---\|(---:\|)+$/.test(rows[1]))
    problems.push(`the second row is not the separator: ${rows[1]}`);
  return problems;
}
