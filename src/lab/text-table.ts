/** Plain-text tables and percentages for the replay's printed summary (shared by every link). */

/** `0.5` → `50.0%`, `1` → `100%`. */
export const pct = (x: number): string => `${(x * 100).toFixed(x === 1 || x === 0 ? 0 : 1)}%`;

/** Rows as an aligned table: the first row is the header (underlined), the first column left-aligned. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('   ')}` : line;
    })
    .join('\n');
}

/** One row of a side-by-side table: its label, and the cell of one group. */
export type GroupRow<G> = readonly [label: string, cell: (group: G) => string];

/**
 * The groups side by side, as every link of the replay prints them: a header naming each group (an
 * empty corner first), then one line per row with a cell per group.
 */
export function groupTable<G>(heads: readonly string[], groups: readonly G[], rows: readonly GroupRow<G>[]): string {
  return table([['', ...heads], ...rows.map(([label, cell]) => [label, ...groups.map(cell)])]);
}

/** A target of the replay: the value measured, the target it had to meet, and whether it did. */
export interface MetTarget {
  readonly value: unknown;
  readonly target: string;
  readonly met: boolean;
}

/** One line per target: `  met   name = value (target …)`, `  MISS  …` when missed. */
export function targetLines(targets: Readonly<Record<string, MetTarget>>): string[] {
  return Object.entries(targets).map(
    ([name, t]) => `  ${t.met ? 'met ' : 'MISS'}  ${name} = ${String(t.value)} (target ${t.target})`,
  );
}

/** What every link of the replay compares: its baseline and failsmall groups, and the targets it had to meet. */
export interface LinkGroups<G> {
  readonly baseline: G;
  readonly failsmall: G;
  readonly targets: Readonly<Record<string, MetTarget>>;
}

/**
 * A link's rows as the CLI prints them under the replay's table: `head`, the baseline and failsmall
 * groups side by side, then the link's targets (`<name> targets:`).
 */
export function linkText<G>(name: string, head: string, link: LinkGroups<G>, rows: readonly GroupRow<G>[]): string {
  const lines = groupTable(['baseline', 'failsmall'], [link.baseline, link.failsmall], rows);
  return [head, '', lines, '', `${name} targets:`, ...targetLines(link.targets)].join('\n');
}
