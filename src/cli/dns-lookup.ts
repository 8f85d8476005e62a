/**
 * `failsmall dns lookup NAME [--server host:port ...] [--family 4|6] [--json]`: resolves a name
 * through the failsmall resolver (the system resolver when no server is given) and prints the
 * addresses with their TTL and source.
 */
import type { Command } from 'commander';
import { isFailsmallError } from '../core/errors.js';
import { Resolver, type DnsFamily } from '../dns/index.js';

interface LookupOptions {
  server?: string[];
  family?: string;
  timeout?: string;
  json?: boolean;
}

function parseFamily(value: string | undefined): DnsFamily {
  if (value === undefined) return 0;
  if (value === '4' || value === '6') return Number(value) as 4 | 6;
  throw new Error(`--family: expected 4 or 6, got ${JSON.stringify(value)}`);
}

/** Adds `lookup` to the `dns` command group. */
export function registerDnsLookup(dns: Command): void {
  dns
    .command('lookup')
    .description('Resolve a name through the failsmall resolver and show its addresses, TTL and source')
    .argument('<name>', 'the host name')
    .option('--server <host:port...>', 'DNS server(s) to ask, hedged in order (default: the system resolver)')
    .option('--family <4|6>', 'only IPv4 (4) or IPv6 (6) addresses (default: both)')
    .option('--timeout <ms>', 'per-server timeout in milliseconds', '2000')
    .option('--json', 'print one JSON object')
    .action(async (name: string, opts: LookupOptions) => {
      let resolver: Resolver | undefined;
      try {
        const family = parseFamily(opts.family);
        const timeout = Number(opts.timeout);
        if (!(timeout > 0))
          throw new Error(`--timeout: expected a positive number of milliseconds, got ${JSON.stringify(opts.timeout)}`);
        resolver = new Resolver({ upstreams: opts.server ?? ['system'], timeout });
        const started = process.hrtime.bigint();
        const answer = await resolver.resolve(name, { family });
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify({ ...answer, elapsedMs: Math.round(elapsedMs * 1000) / 1000 })}\n`);
        } else {
          process.stdout.write(
            `${answer.hostname}  (ttl ${answer.ttl} s, source ${answer.source}, ${elapsedMs.toFixed(1)} ms)\n`,
          );
          for (const a of answer.addresses) process.stdout.write(`  ${a.address}\tIPv${a.family}\n`);
        }
      } catch (error) {
        const code = isFailsmallError(error) ? error.code : undefined;
        if (opts.json === true) {
          process.stdout.write(
            `${JSON.stringify({ error: { code: code ?? 'FS_ERR_CLI', message: (error as Error).message } })}\n`,
          );
        } else {
          process.stderr.write(
            `failsmall dns lookup: ${code === undefined ? '' : `${code}: `}${(error as Error).message}\n`,
          );
        }
        process.exitCode = 1;
      } finally {
        await resolver?.close();
      }
    });
}
