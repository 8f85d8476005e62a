#!/usr/bin/env node
/**
 * The `failsmall` command. Each sub-command lives in its own file beside this one and is loaded only
 * when it is the one asked for (`failsmall dns …` never loads the replay, the AWS SDK or the stores);
 * `--help` lists them all from the table below without loading any.
 *
 * Exit codes (docs/cli.md): 0 ok, 1 a target missed or a run failed, 2 bad usage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Commander from 'commander';
import { importPeer } from '../core/optional-peer.js';
import { exitCodes } from './exit-codes.js';

/** The package's own package.json, found by walking up from this file (works from any build folder). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'failsmall' && pkg.version !== undefined) return pkg.version;
    }
    if (dirname(dir) === dir) return '0.0.0';
  }
}

/** A sub-command: its name, which is also its module's (`./<name>.js`), and its one-line description for `--help`. */
interface SubCommand {
  readonly name: string;
  readonly description: string;
}

/** Every sub-command, in `--help` order. */
const subCommands: readonly SubCommand[] = [
  { name: 'dns', description: 'Resolve names through failsmall, or serve a zone that can be made to lie' },
  {
    name: 'health',
    description: 'Multi-source health checks with quorum and guardrails: run the probes of a config file',
  },
  { name: 'drill', description: 'Run a drill (Chaos Toolkit experiment): steady state, method, rollbacks, RTO/RPO' },
  { name: 'plan', description: 'Fenced plan enactment: see the DNS race of 2025-10-20 and the fences' },
  { name: 'proxy', description: 'A Toxiproxy-compatible fault proxy (TCP toxics, HTTP faults) with its control API' },
  {
    name: 'sim',
    description: "Simulate retry storms and metastable collapse at scale, on failsmall's own decision code",
  },
  {
    name: 'status',
    description: 'Serve a status page: incidents with an update cadence, Statuspage-compatible JSON, a responder view',
  },
  {
    name: 'replay',
    description: 'Replay the AWS us-east-1 outage of 2025-10-20 on loopback: the AWS SDK defaults beside failsmall',
  },
];

type Register = (program: Commander.Command) => Commander.Command;

/** Loads the module of the sub-command `name` and returns what it exports as `register<Name>`. */
async function loadSubCommand(name: string): Promise<Register> {
  const module = (await import(`./${name}.js`)) as Record<string, unknown>;
  const exported = `register${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  const register = module[exported];
  if (typeof register !== 'function') throw new TypeError(`cli/${name}.js does not export ${exported}()`);
  return register as Register;
}

/**
 * Builds the program for `argv` (`process.argv`): the sub-command named by the first argument is
 * loaded and registered in full; the others are registered by name and description only.
 */
export async function buildProgram(argv: readonly string[]): Promise<Commander.Command> {
  const { Command } = await importPeer<typeof Commander>('commander', 'the failsmall command');
  const program = new Command('failsmall')
    .description(
      'Fail small, recover predictably: resilience for Node services, proven on the us-east-1 outage of 2025-10-20.',
    )
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError();
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const asked = words[0] === 'help' ? words[1] : words[0]; // `failsmall help replay` shows the full help
  for (const sub of subCommands) {
    if (sub.name === asked) {
      (await loadSubCommand(sub.name))(program);
    } else {
      program.command(sub.name).description(sub.description);
    }
  }
  usageExits(program);
  return program;
}

/** Bad usage (an unknown option, a missing argument) exits 2 on every command; help and version exit 0. */
function usageExits(command: Commander.Command): void {
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? exitCodes.ok : exitCodes.usage));
  for (const sub of command.commands) usageExits(sub);
}

await (await buildProgram(process.argv)).parseAsync(process.argv);
