/**
 * `failsmall drill run FILE [--json] [--report FILE.html] [--journal FILE.sqlite]`: runs an experiment
 * in Chaos Toolkit's format (docs/drill.md) and prints what it measured. Exit 0 when the steady state
 * held before and after and every rollback succeeded, 1 when it deviated, was not restored, could not
 * run or a rollback failed (the rollbacks still run), 2 for a bad command line or experiment file
 * (nothing was run).
 */
import { writeFileSync } from 'node:fs';
import type * as Commander from 'commander';
import { isFailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import type { DrillJournal, DrillResult, Step } from '../drill/index.js';
import { describeCliError, exitCodes } from './exit-codes.js';

const { Command } = await importPeer<typeof Commander>('commander', 'the failsmall command');

/** The summary printed without `--json`. */
export function formatDrillResult(r: DrillResult): string {
  const v = (x: unknown): string => (x === null || x === undefined ? '–' : String(x));
  const lines = [
    `${r.title}: ${r.status}`,
    `  steady state before ${v(r.steady_state_before)}, after ${v(r.steady_state_after)}, deviated ${v(r.deviated)}`,
    `  fault ${v(r.fault_at)}  detected ${v(r.detected_at)}  recovered ${v(r.recovered_at)}`,
    `  time to detect ${v(r.time_to_detect_s)} s, RTO ${v(r.rto_s)} s, writes lost ${v(r.rpo_writes_lost)} of ${v(r.writes_acknowledged)}`,
  ];
  if (r.failback !== null)
    lines.push(
      `  failback ${r.failback.at}: time to detect ${v(r.failback.time_to_detect_s)} s, RTO ${v(r.failback.rto_s)} s, writes lost ${v(r.failback.rpo_writes_lost)}`,
    );
  for (const rb of r.rollbacks)
    lines.push(`  rollback ${rb.name}: ${rb.status}${rb.error === undefined ? '' : ` (${rb.error})`}`);
  for (const e of r.errors) lines.push(`  ! ${e}`);
  return lines.join('\n');
}

/** Adds the `drill` command group (with `run`) to `program` and returns it. */
export function registerDrill(program: Commander.Command): Commander.Command {
  const drill = new Command('drill').description(
    'Run a drill (Chaos Toolkit experiment): steady state, method, rollbacks, RTO/RPO',
  );
  drill
    .command('run')
    .description('Run an experiment file (JSON or YAML) and measure time to detect, RTO and writes lost')
    .argument('<file>', 'the experiment file')
    .option('--json', 'print the result as one JSON object')
    .option('--report <file>', 'write an HTML report with the timeline')
    .option('--journal <file>', 'journal every step in this SQLite file')
    .action(async (file: string, opts: { json?: boolean; report?: string; journal?: string }) => {
      const { loadExperimentFile, runDrill, renderDrillReport, SqliteJournal } = await import('../drill/index.js');
      let experiment;
      try {
        experiment = loadExperimentFile(file);
      } catch (error) {
        process.stderr.write(`failsmall drill run: ${describeCliError(error)}\n`);
        process.exitCode = exitCodes.usage;
        return;
      }
      let journal: DrillJournal | undefined;
      try {
        if (opts.journal !== undefined) journal = await SqliteJournal.open(opts.journal);
        const onStep =
          opts.json === true
            ? undefined
            : (s: Step): void => {
                if (s.kind !== 'poll')
                  process.stderr.write(
                    `  ${s.phase} ${s.kind} ${s.name}: ${s.status}${s.error === undefined ? '' : ` (${s.error})`}\n`,
                  );
              };
        const run = await runDrill(experiment, {
          ...(journal === undefined ? {} : { journal }),
          ...(onStep === undefined ? {} : { onStep }),
        });
        if (opts.report !== undefined) writeFileSync(opts.report, renderDrillReport(run));
        process.stdout.write(
          opts.json === true ? `${JSON.stringify(run.result, null, 2)}\n` : `${formatDrillResult(run.result)}\n`,
        );
        const rollbackFailed = run.result.rollbacks.some((r) => r.status === 'failed');
        process.exitCode = run.result.status === 'completed' && !rollbackFailed ? exitCodes.ok : exitCodes.failed;
      } catch (error) {
        process.stderr.write(`failsmall drill run: ${describeCliError(error)}\n`);
        // A missing peer or a configuration value that does not convert: nothing was run.
        process.exitCode =
          isFailsmallError(error, 'FS_ERR_MISSING_PEER') || isFailsmallError(error, 'FS_ERR_DRILL_INVALID')
            ? exitCodes.usage
            : exitCodes.failed;
      } finally {
        journal?.close();
      }
    });
  program.addCommand(drill);
  return program;
}
