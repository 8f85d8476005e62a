#!/usr/bin/env node
/**
 * The `failsmall` command. Each sub-command lives in its own file beside this one and is registered
 * here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerDns } from './dns.js';
import { registerPlan } from './plan.js';
import { registerReplay } from './replay.js';
import { registerStatus } from './status.js';

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

export function buildProgram(): Command {
  const program = new Command('failsmall')
    .description(
      'Fail small, recover predictably: resilience for Node services, proven on the us-east-1 outage of 2025-10-20.',
    )
    .version(packageVersion(), '-v, --version')
    .showHelpAfterError();
  registerDns(program);
  registerPlan(program);
  registerReplay(program);
  registerStatus(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
