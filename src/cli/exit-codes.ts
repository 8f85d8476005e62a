/**
 * The exit codes of the `failsmall` command (docs/cli.md), and the code-and-message line every
 * sub-command prints for an error.
 */
import { isFailsmallError } from '../core/errors.js';

/** Exit codes: 0 ok, 1 a target missed, a drill deviated or the run failed, 2 bad usage. */
export const exitCodes = {
  /** Everything asked for was done and every target was met. */
  ok: 0,
  /** A target was missed, a drill deviated, or the run failed. */
  failed: 1,
  /** Bad usage: an unknown option, a missing or malformed argument (nothing was run). */
  usage: 2,
} as const;

/** Code of a command-line usage error (a malformed option value, an unwritable output path). */
export const CLI_USAGE = 'FS_ERR_CLI_USAGE';

/** `FS_ERR_…: message` for an error, for stderr. */
export function describeCliError(error: unknown): string {
  const code = isFailsmallError(error) ? `${error.code}: ` : '';
  return `${code}${error instanceof Error ? error.message : String(error)}`;
}

/** Resolves on the first SIGINT or SIGTERM: how a `serve` sub-command waits until it is told to stop. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
