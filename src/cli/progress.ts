/**
 * Progress for long commands, fit for a terminal and for a pipe: on a TTY one line redrawn in place;
 * elsewhere (a file, a pipe, CI logs) a plain line at most every `intervalMs`, and no escape codes.
 */

/** Options of {@link progressWriter}. */
export interface ProgressWriterOptions {
  /** Write nothing at all (e.g. with `--json`). Default false. */
  readonly quiet?: boolean;
  /** Least time between two plain progress lines when not on a TTY, in milliseconds; default 5 s. */
  readonly intervalMs?: number;
  /** Whether to redraw in place; default `stream.isTTY === true`. */
  readonly tty?: boolean;
  /** The clock for the interval, in milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/** What {@link progressWriter} returns. */
export interface ProgressWriter {
  /** Shows the current progress (redrawn on a TTY, throttled elsewhere). */
  update(text: string): void;
  /** Prints a line that stays (an event), above the progress line on a TTY. */
  line(text: string): void;
  /** Removes the progress line on a TTY; nothing elsewhere. */
  clear(): void;
}

/** A progress display on `stream` (usually `process.stderr`). */
export function progressWriter(
  stream: { write(text: string): unknown; isTTY?: boolean },
  options: ProgressWriterOptions = {},
): ProgressWriter {
  const quiet = options.quiet === true;
  const tty = options.tty ?? stream.isTTY === true;
  const intervalMs = options.intervalMs ?? 5_000; // 5 s: a CI log stays readable, a long run still shows life
  const now = options.now ?? Date.now;
  let shown = false;
  let last = -Infinity;
  const clear = (): void => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(text) {
      if (quiet) return;
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        shown = true;
        return;
      }
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      stream.write(`${text}\n`);
    },
    line(text) {
      if (quiet) return;
      clear();
      stream.write(`${text}\n`);
    },
    clear,
  };
}
