#!/usr/bin/env node
/**
 * The `failsmall` command. Each sub-command lives in its own file beside this one and is registered
 * here.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('failsmall')
    .description(
      'Fail small, recover predictably: resilience for Node services, proven on the us-east-1 outage of 2025-10-20.',
    )
    .version(pkg.version, '-v, --version')
    .showHelpAfterError();
  return program;
}

await buildProgram().parseAsync(process.argv);
