/**
 * `failsmall replay`: the us-east-1 outage of 2025-10-20 on loopback, the AWS SDK's defaults beside
 * the same client hardened by failsmall. `npm start` runs it with the default scenario.
 *
 * ```sh
 * failsmall replay                                   # the default scenario, about 106 s
 * failsmall replay --speed 240 --seed 7              # faster, another draw
 * failsmall replay --scenario my.yaml --report replay.html
 * failsmall replay --json > summary.json
 * ```
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isFailsmallError } from '../core/index.js';
// cli/ sits above lab/ (DESIGN.md); the shared lint pattern against '../lab/*' targets the layers below.
import {
  defaultScenario,
  formatProgress,
  formatSummary,
  loadReplayPeers,
  loadScenarioFile,
  renderReport,
  runReplay,
  withOverrides,
} from '../lab/index.js';

interface ReplayCliOptions {
  scenario?: string;
  speed?: string;
  seed?: string;
  json?: boolean;
  report?: string;
}

function number(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new Error(`${option}: expected a number, got ${JSON.stringify(value)}`);
  return n;
}

/** Adds the `replay` command to `program` and returns it. */
export function registerReplay(program: Command): Command {
  const command = program
    .command('replay')
    .description('Replay the AWS us-east-1 outage of 2025-10-20 on loopback: the AWS SDK defaults beside failsmall')
    .option('--scenario <file>', 'a scenario YAML file (default: the built-in 2025-10-20 scenario)')
    .option('--speed <n>', 'scenario seconds per real second (overrides the file)')
    .option('--seed <n>', 'seed of the arrivals and every random draw (overrides the file)')
    .option('--json', 'print one JSON object with the summary instead of the table')
    .option('--report <file.html>', 'write a self-contained HTML report with the timelines')
    .action(async (opts: ReplayCliOptions) => {
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping: closing the region (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const tty = process.stderr.isTTY === true && opts.json !== true;
      let progressShown = false;
      const clearProgress = (): void => {
        if (progressShown) process.stderr.write('\r\x1b[2K');
        progressShown = false;
      };
      try {
        const speed = number(opts.speed, '--speed');
        const seed = number(opts.seed, '--seed');
        const base = opts.scenario === undefined ? defaultScenario() : loadScenarioFile(opts.scenario);
        const scenario = withOverrides(base, {
          ...(speed === undefined ? {} : { speed }),
          ...(seed === undefined ? {} : { seed }),
        });
        // Every optional package the run needs, checked at once, before anything starts.
        await loadReplayPeers({ report: opts.report !== undefined });
        if (opts.json !== true) {
          process.stderr.write(
            `replaying "${scenario.name}" at ${scenario.speed}x (${Math.round(scenario.totalS / scenario.speed)} s); Ctrl-C stops it\n`,
          );
        }
        const { summary, report } = await runReplay({
          scenario,
          signal: controller.signal,
          onEvent: (line) => {
            if (opts.json === true) return;
            clearProgress();
            process.stderr.write(`${line}\n`);
          },
          ...(tty
            ? {
                onProgress: (p) => {
                  process.stderr.write(`\r\x1b[2K${formatProgress(p)}`);
                  progressShown = true;
                },
              }
            : {}),
        });
        clearProgress();
        if (opts.report !== undefined) {
          writeFileSync(opts.report, renderReport(report));
          if (opts.json !== true) process.stderr.write(`report written to ${opts.report}\n`);
        }
        process.stdout.write(opts.json === true ? `${JSON.stringify(summary)}\n` : `\n${formatSummary(summary)}\n`);
        if (summary.aborted) process.exitCode = 130;
      } catch (error) {
        clearProgress();
        const code = isFailsmallError(error) ? `${error.code}: ` : '';
        process.stderr.write(`failsmall replay: ${code}${(error as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
  return command;
}
