/**
 * `npm run bench -- <name>|all [--markdown]` runs `bench/<name>.js` (each in its own process, one after
 * the other for `all`). Each benchmark prints a human table and, last, exactly one JSON line; this
 * runner passes the table through and prints that line again with the run's provenance added (Node
 * version, commit, CPU model and cores, competitor versions: see `provenance()` in harness.ts).
 *
 * With `--markdown` it writes docs/benchmarks.md from the run (every figure, each bench's JSON line)
 * and replaces the README's summary table (between `<!-- bench:summary -->` markers) with the ratios
 * of that run and its date. Every claim there is a ratio measured in one run.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { provenance, type Provenance } from './harness.js';

const here = new URL('.', import.meta.url);
const root = new URL('../../', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.includes('.test.') && !f.startsWith('harness'))
  .map((f) => f.slice(0, -3));

/** The competitor packages each bench measures, for their versions in the provenance. */
const competitors: Readonly<Record<string, readonly string[]>> = {
  policy: ['cockatiel', 'opossum'],
  dns: ['cacheable-lookup'],
};

/** One bench's result: its JSON line with the provenance. */
interface BenchResult {
  readonly bench: string;
  readonly provenance: Provenance;
  readonly [key: string]: unknown;
}

function runOne(name: string): Promise<BenchResult> {
  const loadStart = Math.round(loadavg()[0]! * 100) / 100;
  return new Promise((resolve, reject) => {
    // The bench's name as its argument: a bench file that tests also import (fuzz) runs only then.
    const child = spawn(process.execPath, [fileURLToPath(new URL(`${name}.js`, here)), name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.trimEnd().split('\n');
      const last = lines.pop() ?? '';
      process.stdout.write(`${lines.join('\n')}\n`);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(last) as Record<string, unknown>;
      } catch {
        reject(new Error(`bench ${name} exited ${code} without a JSON line last`));
        return;
      }
      const result: BenchResult = { bench: name, ...json, provenance: provenance(competitors[name] ?? [], loadStart) };
      console.log(JSON.stringify(result));
      if (code !== 0) reject(new Error(`bench ${name} exited ${code}`));
      else resolve(result);
    });
  });
}

/** A figure for a table: numbers with thousands separators, the rest as JSON. */
function show(value: unknown): string {
  if (typeof value === 'number') return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Ratio keys: the figures that carry over to another machine (`*_vs_*`, `*speedup*`, `*ratio*`);
 * the summary leaves out the wall-clock twins (`wall_*`) of ratios measured in CPU time.
 */
const isRatio = (key: string): boolean => /_vs_|speedup|ratio/.test(key) && !key.startsWith('wall_');

function markdown(results: readonly BenchResult[]): { page: string; summary: string } {
  const p = results[0]!.provenance;
  const maxLoad = Math.max(...results.flatMap((r) => [r.provenance.load_1m, r.provenance.load_1m_start ?? 0]));
  const load = `load average up to ${maxLoad}${maxLoad > p.cores ? ': the machine was shared, absolute figures are pessimistic' : ''}`;
  const machine = `${p.cpu_model}, ${p.cores} cores, ${p.platform}; Node ${p.node}; commit ${p.commit ?? 'unknown'}; ${p.date.slice(0, 10)}; ${load}`;
  const ratios = results.flatMap((r) =>
    Object.entries(r)
      .filter(([k, v]) => isRatio(k) && typeof v === 'number')
      .map(([k, v]) => `| \`${r.bench}\` | \`${k}\` | ${show(v)} |`),
  );
  const summary = [
    `Ratios measured side by side in one run (${machine}); [docs/benchmarks.md](docs/benchmarks.md) has every figure.`,
    '',
    '| bench | ratio | value |',
    '|---|---|---|',
    ...ratios,
  ].join('\n');
  const sections = results.flatMap((r) => {
    const versions = Object.entries(r.provenance.competitors)
      .map(([n, v]) => `${n} ${v ?? 'not installed'}`)
      .join(', ');
    const rows = Object.entries(r)
      .filter(([k, v]) => k !== 'bench' && k !== 'provenance' && (typeof v !== 'object' || v === null))
      .map(([k, v]) => `| \`${k}\` | ${show(v)} |`);
    return [
      `## \`${r.bench}\``,
      '',
      versions === '' ? 'No competitor package.' : `Competitors: ${versions}.`,
      '',
      '| figure | value |',
      '|---|---|',
      ...rows,
      '',
      'The JSON line of the run:',
      '',
      '```json',
      JSON.stringify(r),
      '```',
      '',
    ];
  });
  const page = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench -- all --markdown`; do not edit. Each bench runs in its own process,',
    'failsmall side by side with the competitor it names and with the bare baseline, so the ratios',
    'carry over to another machine; absolute times hold for this machine, this run only.',
    '',
    `Run: ${machine}.`,
    '',
    '## Summary',
    '',
    summary,
    '',
    ...sections,
  ].join('\n');
  return { page, summary };
}

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('-'));
if (name === undefined || (name !== 'all' && !available.includes(name))) {
  console.error(`usage: npm run bench -- <name>|all [--markdown]   (available: ${available.join(', ') || 'none'})`);
  process.exit(2);
}
const results: BenchResult[] = [];
for (const bench of name === 'all' ? available : [name]) {
  try {
    results.push(await runOne(bench));
  } catch (error) {
    // One bench alone fails the run; within `all`, the others still run and are written, and the
    // failure is said (and the exit code is non-zero).
    if (name !== 'all') throw error;
    console.error(`bench ${bench} failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
if (args.includes('--markdown')) {
  const { page, summary } = markdown(results);
  writeFileSync(new URL('docs/benchmarks.md', root), page);
  const readmeUrl = new URL('README.md', root);
  const readme = readFileSync(readmeUrl, 'utf8');
  const open = '<!-- bench:summary -->';
  const close = '<!-- /bench:summary -->';
  const start = readme.indexOf(open);
  const end = readme.indexOf(close);
  if (start >= 0 && end > start) {
    writeFileSync(readmeUrl, `${readme.slice(0, start + open.length)}\n${summary}\n${readme.slice(end)}`);
  }
  console.error('wrote docs/benchmarks.md and the README summary');
}
