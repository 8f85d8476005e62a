/**
 * `failsmall replay`: the us-east-1 outage of 2025-10-20 on loopback, the AWS SDK's defaults beside
 * the same client hardened by failsmall. `npm start` runs it with the default scenario.
 *
 * ```sh
 * failsmall replay                                   # the default scenario, about 106 s
 * failsmall replay --speed 240 --seed 7              # faster, another draw
 * failsmall replay --scenario my.yaml --report replay.html
 * failsmall replay --json > summary.json
 * failsmall replay --status-url http://127.0.0.1:8080 --status-token "$TOKEN"   # feed a status page
 * failsmall replay --scenario region-loss --json     # a region that really goes away, about 45 s
 * ```
 */
import { closeSync, openSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FailsmallError, isFailsmallError } from '../core/index.js';
import { CLI_USAGE, describeCliError, exitCodes } from './exit-codes.js';
import { progressWriter } from './progress.js';
// cli/ sits above lab/ (DESIGN.md); the shared lint pattern against '../lab/*' targets the layers below.
import {
  defaultScenario,
  formatProgress,
  formatRegionLossSummary,
  formatSummary,
  checkReplayPeers,
  isRegionLoss,
  loadAnyScenario,
  renderReport,
  runRegionLoss,
  runReplay,
  withOverrides,
} from '../lab/index.js';
import type { RegionLossScenario } from '../lab/index.js';

interface ReplayCliOptions {
  scenario?: string;
  speed?: string;
  seed?: string;
  json?: boolean;
  report?: string;
  statusUrl?: string;
  statusToken?: string;
}

function number(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new FailsmallError(CLI_USAGE, `${option}: expected a number, got ${JSON.stringify(value)}`, {
      details: { option },
    });
  return n;
}

/**
 * Fails before the run when the report cannot be written (a missing folder, a directory, no
 * permission): opening it for append creates it, or leaves an existing file as it is.
 */
function checkWritable(path: string): void {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory() === true)
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    closeSync(openSync(path, 'a'));
  } catch (error) {
    throw new FailsmallError(CLI_USAGE, `--report: cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { option: '--report', path },
    });
  }
}

/** The status service to feed, from `--status-url` and `--status-token` (or the environment). */
function statusTarget(opts: ReplayCliOptions): { url: string; token: string } | undefined {
  if (opts.statusUrl === undefined) {
    if (opts.statusToken !== undefined)
      throw new FailsmallError(CLI_USAGE, '--status-token needs --status-url', {
        details: { option: '--status-token' },
      });
    return undefined;
  }
  if (!URL.canParse(opts.statusUrl) || !/^https?:$/.test(new URL(opts.statusUrl).protocol))
    throw new FailsmallError(
      CLI_USAGE,
      `--status-url: expected an http(s) URL, got ${JSON.stringify(opts.statusUrl)}`,
      {
        details: { option: '--status-url' },
      },
    );
  const token = opts.statusToken ?? (process.env['FAILSMALL_STATUS_TOKEN'] || undefined);
  if (token === undefined)
    throw new FailsmallError(CLI_USAGE, '--status-url needs --status-token or $FAILSMALL_STATUS_TOKEN', {
      details: { option: '--status-token' },
    });
  return { url: opts.statusUrl, token };
}

/** Sets the exit code from a summary: 130 when stopped, 1 with a warning naming each missed target. */
function judgeTargets(
  summary: {
    readonly aborted: boolean;
    readonly targets: Readonly<Record<string, { value: unknown; target: string; met: boolean }>>;
  },
  hint: string,
): void {
  const missed = Object.entries(summary.targets).filter(([, t]) => !t.met);
  if (summary.aborted) process.exitCode = 130;
  else if (missed.length > 0) {
    process.stderr.write(
      `failsmall replay: warning: ${missed.length} target(s) missed: ${missed
        .map(([name, t]) => `${name} = ${String(t.value)} (target ${t.target})`)
        .join('; ')}${hint}\n`,
    );
    process.exitCode = exitCodes.failed;
  }
}

/** Checks the options of a region-loss run: it has no `--speed` and no report; `--seed` applies. */
function regionLossOptions(
  base: RegionLossScenario,
  opts: ReplayCliOptions,
  seed: number | undefined,
): RegionLossScenario {
  if (opts.speed !== undefined || opts.report !== undefined) {
    const option = opts.speed !== undefined ? '--speed' : '--report';
    throw new FailsmallError(
      CLI_USAGE,
      `${option}: not available for the region-loss scenario (it runs in real time and prints its summary)`,
      { details: { option } },
    );
  }
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new FailsmallError('FS_ERR_LAB_SCENARIO', `seed: expected an integer 0..4294967295, got ${String(seed)}`, {
      details: { field: 'seed' },
    });
  }
  return seed === undefined ? base : { ...base, seed };
}

/** Runs the region-loss scenario (`--scenario region-loss` or a `kind: region-loss` file). */
async function regionLoss(
  scenario: RegionLossScenario,
  opts: ReplayCliOptions,
  signal: AbortSignal,
  line: (text: string) => void,
): Promise<void> {
  await checkReplayPeers();
  if (opts.json !== true) {
    process.stderr.write(
      `replaying "${scenario.name}" (${Math.round(scenario.phases.endMs / 1000)} s of load); Ctrl-C stops it\n`,
    );
  }
  const summary = await runRegionLoss({ scenario, signal, onEvent: line });
  process.stdout.write(opts.json === true ? `${JSON.stringify(summary)}\n` : `\n${formatRegionLossSummary(summary)}\n`);
  judgeTargets(summary, '');
}

/** Adds the `replay` command to `program` and returns it. */
export function registerReplay(program: Command): Command {
  const command = program
    .command('replay')
    .description('Replay the AWS us-east-1 outage of 2025-10-20 on loopback: the AWS SDK defaults beside failsmall')
    .option(
      '--scenario <file|name>',
      'a scenario YAML file, or the built-in region-loss (default: the built-in 2025-10-20 scenario)',
    )
    .option('--speed <n>', 'scenario seconds per real second (overrides the file)')
    .option('--seed <n>', 'seed of the arrivals and every random draw (overrides the file)')
    .option('--json', 'print one JSON object with the summary instead of the table')
    .option('--report <file.html>', 'write a self-contained HTML report with the timelines')
    .option(
      '--status-url <url>',
      "feed a running status service: the day's suggested incidents and the region's dependency map",
    )
    .option('--status-token <token>', 'its write token (default $FAILSMALL_STATUS_TOKEN)')
    .action(async (opts: ReplayCliOptions) => {
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping: closing the region (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const progress = progressWriter(process.stderr, { quiet: opts.json === true });
      let usage = true; // errors before the run starts are bad usage (exit 2)
      try {
        const speed = number(opts.speed, '--speed');
        const seed = number(opts.seed, '--seed');
        const chosen = opts.scenario === undefined ? defaultScenario() : loadAnyScenario(opts.scenario);
        if (isRegionLoss(chosen)) {
          const scenario = regionLossOptions(chosen, opts, seed);
          usage = false;
          await regionLoss(scenario, opts, controller.signal, (line) => progress.line(line));
          return;
        }
        const scenario = withOverrides(chosen, {
          ...(speed === undefined ? {} : { speed }),
          ...(seed === undefined ? {} : { seed }),
        });
        if (opts.report !== undefined) checkWritable(opts.report);
        const status = statusTarget(opts);
        usage = false;
        // Every optional package the run needs, checked at once, before anything starts.
        await checkReplayPeers({ report: opts.report !== undefined });
        if (opts.json !== true) {
          process.stderr.write(
            `replaying "${scenario.name}" at ${scenario.speed}x (${Math.round(scenario.totalS / scenario.speed)} s); Ctrl-C stops it\n`,
          );
        }
        const { summary, report } = await runReplay({
          scenario,
          signal: controller.signal,
          onEvent: (line) => progress.line(line),
          onProgress: (p) => progress.update(formatProgress(p)),
          ...(status === undefined ? {} : { status }),
        });
        progress.clear();
        if (opts.report !== undefined) {
          writeFileSync(opts.report, renderReport(report));
          if (opts.json !== true) process.stderr.write(`report written to ${opts.report}\n`);
        }
        process.stdout.write(opts.json === true ? `${JSON.stringify(summary)}\n` : `\n${formatSummary(summary)}\n`);
        if (summary.status !== undefined && opts.json !== true) {
          const r = Object.values(summary.status.reporters);
          const sum = (f: (x: (typeof r)[number]) => number): number => r.reduce((n, x) => n + f(x), 0);
          process.stderr.write(
            `status service ${summary.status.url}: ${sum((x) => x.signalsSent)} signals and ${sum((x) => x.callsSent)} calls sent, ${sum((x) => x.dropped.signals)} signals and ${sum((x) => x.dropped.calls)} calls dropped${summary.status.setup_error === undefined ? '' : `; setup: ${summary.status.setup_error}`}\n`,
          );
        }
        judgeTargets(
          summary,
          scenario.speed > 240 ? `; speed ${scenario.speed}x may be too fast for this machine` : '',
        );
      } catch (error) {
        progress.clear();
        process.stderr.write(`failsmall replay: ${describeCliError(error)}\n`);
        const badInput =
          usage && (isFailsmallError(error, CLI_USAGE) || isFailsmallError(error, 'FS_ERR_LAB_SCENARIO'));
        process.exitCode = badInput ? exitCodes.usage : exitCodes.failed;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  return command;
}
