/**
 * `failsmall sim …`: the simulator's models from the command line (docs/sim.md).
 *
 * ```sh
 * failsmall sim occ --clients 100 --strategy full --trials 10 --json
 * failsmall sim retry --p 0.5 --strategy token-bucket --json
 * failsmall sim collapse --backoff jitter --seeds 0-99 --shard 1/4 --json > part1.jsonl
 * failsmall sim merge part*.jsonl
 * failsmall sim outage --clients 1000000 --json --report outage.html
 * ```
 * Bad arguments exit 2 with `FS_ERR_SIM_ARGUMENT`; the simulator modules load only when a model runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import type { SimChart } from '../sim/report.js';
import { describeCliError, exitCodes } from './exit-codes.js';
import { given } from '../core/given.js';

/** The code of every bad usage of `failsmall sim` (exit 2). */
const SIM_ARGUMENT = 'FS_ERR_SIM_ARGUMENT';

interface CommonOptions {
  json?: boolean;
  report?: string;
  seed?: string;
  seeds?: string;
  shard?: string;
}

function bad(option: string, expected: string, value: unknown): never {
  throw new FailsmallError(SIM_ARGUMENT, `${option}: expected ${expected}, got ${JSON.stringify(value)}`, {
    details: { option, value },
  });
}

function num(value: string | undefined, option: string, check: (n: number) => boolean, expected: string) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || !check(n)) bad(option, expected, value);
  return n;
}
const int = (v: string | undefined, o: string) => num(v, o, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const nonNegInt = (v: string | undefined, o: string) =>
  num(v, o, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
const positive = (v: string | undefined, o: string) => num(v, o, (n) => n > 0, 'a number > 0');
const probability = (v: string | undefined, o: string) => num(v, o, (n) => n >= 0 && n <= 1, 'a number in [0, 1]');

function oneOf<T extends string>(value: string | undefined, option: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) bad(option, allowed.join('|'), value);
  return value as T;
}

/** The seeds to run: `--seeds A-B` (split by `--shard i/n`), else `--seed X`, else 1. */
async function seedsOf(opts: CommonOptions): Promise<number[]> {
  const { parseSeeds, shardOf } = await import('../sim/sweep.js');
  if (opts.seeds === undefined) {
    if (opts.shard !== undefined) bad('--shard', 'to be used with --seeds', opts.shard);
    return [nonNegInt(opts.seed, '--seed') ?? 1];
  }
  if (opts.seed !== undefined) bad('--seed', 'not both --seed and --seeds', opts.seed);
  let range: { from: number; to: number } | undefined = parseSeeds(opts.seeds);
  if (opts.shard !== undefined) range = shardOf(range, opts.shard);
  if (range === undefined) return [];
  const out: number[] = [];
  for (let s = range.from; s <= range.to; s++) out.push(s);
  return out;
}

/** A progress line on stderr: rewritten in place on a TTY, plain lines (at most one per 2 s) otherwise. */
function progress(json: boolean | undefined): { line: (text: string) => void; done: () => void } {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let shown = false;
  return {
    line(text) {
      const now = Date.now();
      if (tty) {
        process.stderr.write(`\r\x1b[2K${text}`);
        shown = true;
      } else if (now - last >= 2_000 && json !== true) {
        process.stderr.write(`${text}\n`);
        last = now;
      } else if (now - last >= 2_000) {
        process.stderr.write(`${text}\n`);
        last = now;
      }
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

function print(results: readonly object[], json: boolean | undefined): void {
  for (const r of results) {
    if (json === true) process.stdout.write(`${JSON.stringify(r)}\n`);
    else {
      const flat = Object.entries(r)
        .filter(([, v]) => !Array.isArray(v) && (typeof v !== 'object' || v === null))
        .map(([k, v]) => `  ${k}: ${typeof v === 'number' ? +v.toFixed(4) : String(v)}`);
      process.stdout.write(`${flat.join('\n')}\n\n`);
    }
  }
}

/** Checks before a run that `--report`'s folder exists (the report is written after the run). */
function reportPath(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (file.trim() === '' || !existsSync(dirname(resolve(file)))) bad('--report', 'a file in an existing folder', file);
  return file;
}

async function report(file: string | undefined, title: string, charts: SimChart[], results: unknown): Promise<void> {
  if (file === undefined) return;
  const { renderSimReport } = await import('../sim/report.js');
  try {
    writeFileSync(file, renderSimReport(title, charts, results));
  } catch (error) {
    throw new FailsmallError(SIM_ARGUMENT, `--report: cannot write ${file}: ${(error as Error).message}`, {
      cause: error,
      details: { option: '--report', value: file },
    });
  }
  process.stderr.write(`report written to ${file}\n`);
}

/** Runs `body`, printing an error as `failsmall sim: CODE: message`: exit 2 for bad usage, else 1. */
async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`failsmall sim: ${describeCliError(error)}\n`);
    const usage = isFailsmallError(error, SIM_ARGUMENT) || isFailsmallError(error, 'FS_ERR_INVALID_ARGUMENT');
    process.exitCode = usage ? exitCodes.usage : exitCodes.failed;
  }
}

const common = (c: Command): Command =>
  c
    .option('--seed <x>', 'seed of the run (default 1)')
    .option('--seeds <A-B>', 'run every seed of the range, one JSON line each')
    .option('--shard <i/n>', 'with --seeds: run only the i-th of n equal parts of the range')
    .option('--json', 'print JSON lines')
    .option('--report <file.html>', 'write an HTML report with charts');

/** What a model's run gives back: one result per seed, what to print of them (default the results), the report's charts. */
interface ModelRun {
  readonly results: readonly object[];
  readonly printed?: readonly object[];
  readonly charts?: SimChart[];
}

/**
 * Adds the model sub-command `name` to `sim`, with its `options` (`[flags, help]`) and the common
 * ones: it checks `--report`'s folder, runs `run`, prints the results and writes the report
 * (`failsmall sim <name>`), with errors as {@link guarded} reports them.
 */
function model<O extends object>(
  sim: Command,
  name: string,
  description: string,
  options: readonly (readonly [flags: string, help: string])[],
  run: (opts: CommonOptions & O) => Promise<ModelRun>,
): void {
  const command = sim.command(name).description(description);
  for (const [flags, help] of options) command.option(flags, help);
  common(command).action((opts: CommonOptions & O) =>
    guarded(async () => {
      reportPath(opts.report);
      const { results, printed = results, charts = [] } = await run(opts);
      print(printed, opts.json);
      await report(opts.report, `failsmall sim ${name}`, charts, results);
    }),
  );
}

/** Adds the `sim` command and its models to `program`. */
export function registerSim(program: Command): Command {
  const sim = program
    .command('sim')
    .description('Run the simulator: failsmall policies at scale (docs/sim.md)')
    // Commander's own usage errors (an unknown option or sub-command, a missing value) carry the code too.
    .configureOutput({ outputError: (text, write) => write(`failsmall sim: ${SIM_ARGUMENT}: ${text}`) });

  model<{ clients?: string; strategy?: string; trials?: string }>(
    sim,
    'occ',
    'OCC contention (Brooker 2015): write calls and completion time per backoff',
    [
      ['--clients <n>', 'clients (default 100)'],
      ['--strategy <s>', 'none|exponential|equal|full|decorrelated (default full)'],
      ['--trials <t>', 'trials averaged per seed (default 10)'],
    ],
    async (opts) => {
      const { OCC_STRATEGIES, runOcc } = await import('../sim/models/occ.js');
      const options = given({
        clients: int(opts.clients, '--clients'),
        strategy: oneOf(opts.strategy, '--strategy', OCC_STRATEGIES),
        trials: int(opts.trials, '--trials'),
      });
      return { results: (await seedsOf(opts)).map((seed) => runOcc({ seed, ...options })) };
    },
  );

  model<{ p?: string; strategy?: string; clients?: string; calls?: string }>(
    sim,
    'retry',
    'Retry amplification (Brooker 2022): success and load per retry strategy',
    [
      ['--p <p>', 'probability that the server fails an attempt (default 0.1)'],
      ['--strategy <s>', 'none|retry3|token-bucket|breaker (default retry3)'],
      ['--clients <n>', 'clients (default 100)'],
      ['--calls <n>', 'calls per client (default 100)'],
    ],
    async (opts) => {
      const { RETRY_STRATEGIES, runRetry } = await import('../sim/models/retry.js');
      const options = given({
        p: probability(opts.p, '--p'),
        strategy: oneOf(opts.strategy, '--strategy', RETRY_STRATEGIES),
        clients: int(opts.clients, '--clients'),
        calls: int(opts.calls, '--calls'),
      });
      return { results: (await seedsOf(opts)).map((seed) => runRetry({ seed, ...options })) };
    },
  );

  model<{ spikeRps?: string; spikeS?: string; tries?: string; backoff?: string }>(
    sim,
    'collapse',
    'Metastable collapse (Brooker): a load spike, timeouts and retries',
    [
      ['--spike-rps <r>', 'arrival rate during the spike, per second (default 80)'],
      ['--spike-s <s>', 'length of the spike, seconds (default 5)'],
      ['--tries <k>', 'attempts in all (default 3)'],
      ['--backoff <b>', 'none|jitter (default none)'],
    ],
    async (opts) => {
      const { runCollapse } = await import('../sim/models/collapse.js');
      const options = given({
        spikeRps: positive(opts.spikeRps, '--spike-rps'),
        spikeS: num(opts.spikeS, '--spike-s', (n) => n >= 0, 'a number >= 0'),
        tries: int(opts.tries, '--tries'),
        backoff: oneOf(opts.backoff, '--backoff', ['none', 'jitter'] as const),
      });
      const results = (await seedsOf(opts)).map((seed) => runCollapse({ seed, ...options }));
      const charts = results.map((r) => ({
        title: `seed ${r.seed}: goodput and retries per second`,
        unit: 's',
        series: { goodput: r.goodput_per_s, retries: r.retries_per_s },
      }));
      return { results, charts };
    },
  );

  model<{ clients?: string; callEveryS?: string }>(
    sim,
    'outage',
    'The fleet of 2025-10-20: the SDK defaults beside failsmall while the record is empty',
    [
      ['--clients <n>', 'clients per fleet (default 1000000)'],
      ['--call-every-s <s>', 'mean seconds between a client’s calls (default 3600)'],
    ],
    async (opts) => {
      const { runOutageFleet } = await import('../sim/models/outage.js');
      const { loadAdmit, runLease } = await import('../sim/models/lease.js');
      const { runCost } = await import('../sim/engine.js');
      const admit = await loadAdmit();
      const options = given({
        clients: int(opts.clients, '--clients'),
        callEveryS: positive(opts.callEveryS, '--call-every-s'),
      });
      const line = progress(opts.json);
      const results = [];
      let peak = process.memoryUsage().rss;
      for (const seed of await seedsOf(opts)) {
        const started = performance.now();
        const fleets = (['sdk', 'failsmall'] as const).map((fleet) => {
          const r = runOutageFleet(fleet, {
            seed,
            ...options,
            onProgress: (s, events) => {
              peak = Math.max(peak, process.memoryUsage().rss);
              line.line(`outage seed ${seed} ${fleet}: ${(s / 60).toFixed(0)} min simulated, ${events} events`);
            },
          });
          peak = Math.max(peak, process.memoryUsage().rss);
          return r;
        });
        const [sdk, fs] = fleets as [(typeof fleets)[0], (typeof fleets)[0]];
        // The lease manager's recovery once the record is back, without and with admit/ (null when absent).
        const leaseNone = runLease({ seed });
        const leaseAdmit = admit === undefined ? null : runLease({ seed }, admit);
        peak = Math.max(peak, process.memoryUsage().rss);
        const events = sdk.events + fs.events + leaseNone.events + (leaseAdmit?.events ?? 0);
        const wall = (performance.now() - started) / 1000;
        results.push({
          model: 'outage',
          seed,
          clients: sdk.clients,
          sdk,
          failsmall: fs,
          lease_without_admit: leaseNone,
          lease_with_admit: leaseAdmit,
          peak_rss_mb: Math.round(peak / 1e5) / 10,
          ...runCost({ events, wall_s: wall }),
        });
      }
      line.done();
      const printed = results.map(({ sdk, failsmall, lease_without_admit, lease_with_admit, ...rest }) => ({
        ...rest,
        lease_recovered_s_without_admit: lease_without_admit.recovered_s,
        lease_recovered_s_with_admit:
          lease_with_admit === null ? 'admit/ not in this build' : lease_with_admit.recovered_s,
        sdk_success_during_empty: sdk.success_during_empty,
        sdk_load: sdk.load,
        failsmall_success_during_empty: failsmall.success_during_empty,
        failsmall_load: failsmall.load,
        ...(opts.json === true ? { sdk, failsmall, lease_without_admit, lease_with_admit } : {}),
      }));
      const charts = results
        .map((r): SimChart => ({
          title: `seed ${r.seed}: attempts per minute`,
          unit: 'min',
          series: { 'SDK defaults': r.sdk.attempts_per_min, failsmall: r.failsmall.attempts_per_min },
        }))
        .concat(
          results.map((r) => ({
            title: `seed ${r.seed}: leases re-established per minute after the restore`,
            unit: 'min',
            series: {
              'no admission control': r.lease_without_admit.leases_per_min,
              ...(r.lease_with_admit === null ? {} : { 'admit/': r.lease_with_admit.leases_per_min }),
            },
          })),
        );
      return { results, printed, charts };
    },
  );

  sim
    .command('merge')
    .description('Merge the JSON lines of sweeps (any shards, any order) into one summary per configuration')
    .argument('<files...>', 'files of JSON lines')
    .action((files: string[]) =>
      guarded(async () => {
        const { mergeResults } = await import('../sim/sweep.js');
        const rows: Record<string, unknown>[] = [];
        for (const file of files) {
          let text: string;
          try {
            text = readFileSync(file, 'utf8');
          } catch (error) {
            throw new FailsmallError('FS_ERR_SIM_ARGUMENT', `cannot read ${file}: ${(error as Error).message}`, {
              cause: error,
              details: { option: 'files', value: file },
            });
          }
          for (const [i, raw] of text.split('\n').entries()) {
            if (raw.trim() === '') continue;
            try {
              rows.push(JSON.parse(raw) as Record<string, unknown>);
            } catch (error) {
              throw new FailsmallError('FS_ERR_SIM_ARGUMENT', `${file}:${i + 1}: not a JSON line`, {
                cause: error,
                details: { option: 'files', value: file },
              });
            }
          }
        }
        for (const m of mergeResults(rows)) process.stdout.write(`${JSON.stringify(m)}\n`);
      }),
    );
  return sim;
}
