/**
 * The command line of a drill target: `--name=value` flags, each required unless given a default.
 * Targets are the loopback systems the example drills (examples/drills/) spawn as services.
 */

/** Reads `--name=value` flags from `argv` (default `process.argv`). */
export function flags(argv: readonly string[] = process.argv.slice(2)): {
  get(name: string, fallback?: string): string;
  num(name: string, fallback?: number): number;
} {
  const map = new Map<string, string>();
  for (const arg of argv) {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (m !== null) map.set(m[1]!, m[2]!);
  }
  const get = (name: string, fallback?: string): string => {
    const v = map.get(name) ?? fallback;
    if (v === undefined) {
      process.stderr.write(`missing --${name}=…\n`);
      process.exit(2);
    }
    return v;
  };
  return { get, num: (name, fallback) => Number(get(name, fallback === undefined ? undefined : String(fallback))) };
}

/** Stops `close` on SIGTERM/SIGINT, then exits 0. */
export function onStop(close: () => Promise<unknown>): void {
  const stop = (): void => {
    void close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
