/**
 * What the benchmarks need from the host beyond Node: whether a command is installed, installing a
 * Debian package for a reference server or load generator when it is missing, and a process's CPU
 * time from `/proc` (Linux). One copy for every bench that measures something outside its own process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Whether `bin` is a command on the PATH (or an existing path). */
export function hasCommand(bin: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', bin], { stdio: 'ignore' }).status === 0;
}

/** Whether this run has already run `apt-get update` (once per run, before the first install). */
let aptUpdated = false;

const APT = {
  stdio: 'ignore',
  timeout: 300_000, // 5 min per apt-get call
  env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
} as const;

/**
 * Makes `bin` available: when it is missing and this runs as root, runs `apt-get update` (once per
 * run) and installs Debian's package `pkg`, saying so on the output. Returns undefined when `bin` is
 * there afterwards, else why not (the caller says what it does without it).
 */
export function ensureDebianCommand(bin: string, pkg: string): string | undefined {
  if (hasCommand(bin)) return undefined;
  if (process.getuid?.() !== 0) return `${bin} is not installed (and this is not root, to apt-get install ${pkg})`;
  try {
    console.log(`  ${bin} missing: ${aptUpdated ? '' : 'apt-get update && '}apt-get install -y ${pkg}`);
    if (!aptUpdated) {
      execFileSync('apt-get', ['update'], APT);
      aptUpdated = true;
    }
    const policy = spawnSync('apt-cache', ['policy', pkg], { encoding: 'utf8' }).stdout ?? '';
    const candidate = /Candidate:\s*(\S+)/.exec(policy)?.[1];
    if (candidate === undefined || candidate === '(none)') {
      return `Debian has no ${pkg} package (apt-cache policy ${pkg}: no candidate)`;
    }
    execFileSync('apt-get', ['install', '-y', pkg], APT);
  } catch (error) {
    return `apt-get could not install ${pkg}: ${(error as Error).message}`;
  }
  return hasCommand(bin) ? undefined : `${pkg} installed no ${bin}`;
}

/** CPU time of one process, in ms, as `/proc/PID/stat` counts it. */
export interface ProcCpu {
  /** User + system time of the process itself. */
  readonly total: number;
  /** System (kernel) time of the process itself. */
  readonly system: number;
  /** User + system time of its children that have ended and been reaped. */
  readonly reapedChildren: number;
}

let ticksPerSecond: number | undefined;

/** The CPU time of process `pid` (default this one) so far; NaN fields where /proc cannot be read. */
export function procCpuMs(pid: number | 'self' = 'self'): ProcCpu {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), from field 3 (state) on:
    // utime 14, stime 15, cutime 16, cstime 17.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map((t) => (Number(t) * 1000) / ticksPerSecond!);
    return { total: f[11]! + f[12]!, system: f[12]!, reapedChildren: f[13]! + f[14]! };
  } catch {
    return { total: NaN, system: NaN, reapedChildren: NaN };
  }
}
