/**
 * `failsmall dns …`: the resolver's `lookup` and the fault DNS server's `serve` and `fault`
 * sub-commands, each registered from its own file.
 */
import type { Command } from 'commander';
import { registerDnsServe } from './dns-serve.js';
import { registerDnsFault } from './dns-fault.js';
import { registerDnsLookup } from './dns-lookup.js';

/** Adds the `dns` command group to `program` and returns it. */
export function registerDns(program: Command): Command {
  const dns = program
    .command('dns')
    .description('Resolve names through failsmall, or serve a zone that can be made to lie');
  registerDnsServe(dns);
  registerDnsFault(dns);
  registerDnsLookup(dns);
  return dns;
}
