/**
 * `failsmall dns serve --zone FILE [--listen 127.0.0.1:5353] [--api 127.0.0.1:8053] [--token T]`: runs
 * the fault DNS server until SIGINT or SIGTERM, printing every zone and fault change to stderr.
 */
import type { Command } from 'commander';
import { describeAuditEntry, loadZoneFile, startFaultDnsServer } from '../chaos/index.js';
import { describeCliError, untilStopSignal } from './exit-codes.js';

/** Splits `host:port` (`[v6]:port` for IPv6) into its parts; throws a readable error when malformed. */
export function parseHostPort(value: string, option: string): { host: string; port: number } {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(value) ?? /^([^:]+):(\d+)$/.exec(value);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || !(port >= 0 && port <= 65_535)) {
    throw new Error(`${option}: expected host:port (e.g. 127.0.0.1:5353 or [::1]:5353), got ${JSON.stringify(value)}`);
  }
  return { host: match[1]!, port };
}

/** Adds `serve` to the `dns` command group. */
export function registerDnsServe(dns: Command): void {
  dns
    .command('serve')
    .description('Serve zones authoritatively (UDP + TCP) with an HTTP control API for changes and faults')
    .requiredOption('--zone <file...>', 'zone file(s), YAML or JSON')
    .option('--listen <host:port>', 'DNS address, UDP and TCP', '127.0.0.1:5353')
    .option('--api <host:port>', 'control API address (a token is required off loopback)', '127.0.0.1:8053')
    .option('--token <token>', 'require Authorization: Bearer <token> on the API (default $FAILSMALL_DNS_TOKEN)')
    .option('--quiet', 'do not print zone and fault changes')
    .action(async (opts: { zone: string[]; listen: string; api: string; token?: string; quiet?: boolean }) => {
      try {
        const listen = parseHostPort(opts.listen, '--listen');
        const api = parseHostPort(opts.api, '--api');
        const token = opts.token ?? process.env['FAILSMALL_DNS_TOKEN'];
        const zones = (await Promise.all(opts.zone.map((file) => loadZoneFile(file)))).flat();
        const server = await startFaultDnsServer({
          zones,
          dnsAddress: listen.host,
          dnsPort: listen.port,
          apiAddress: api.host,
          apiPort: api.port,
          ...(token === undefined || token === '' ? {} : { token }),
        });
        if (opts.quiet !== true) {
          server.events.on((entry) => process.stderr.write(`failsmall dns: ${describeAuditEntry(entry)}\n`));
        }
        const names = server.store
          .list()
          .map((z) => z.name)
          .join(', ');
        process.stdout.write(
          `failsmall dns: serving ${names} on ${server.dnsServer} (udp+tcp); control API ${server.apiUrl}\n`,
        );
        await untilStopSignal();
        await server.close();
        process.stdout.write('failsmall dns: stopped\n');
      } catch (error) {
        process.stderr.write(`failsmall dns serve: ${describeCliError(error)}\n`);
        process.exitCode = 1;
      }
    });
}
