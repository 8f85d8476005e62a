/**
 * `failsmall proxy serve [--host H] [--port P] [--config FILE] [--token T]`: runs the fault proxy (a
 * Toxiproxy-compatible API, default 127.0.0.1:8474) until SIGINT or SIGTERM. `--config` is a JSON
 * array of proxies, as Toxiproxy's `-config` file and `POST /populate` take.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { parseProxySpec, startProxyServer } from '../chaos/proxy/index.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { describeCliError, untilStopSignal } from './exit-codes.js';

function portOption(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65_535) throw new InvalidArgumentError('expected a port 0-65535');
  return port;
}

async function loadConfig(file: string): Promise<ReturnType<typeof parseProxySpec>[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new FailsmallError('FS_ERR_PROXY_CONFIG', `${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(parsed))
    throw new FailsmallError('FS_ERR_PROXY_CONFIG', `${file}: expected a JSON array of proxies`);
  try {
    return parsed.map((p, i) => parseProxySpec(p, i + 1));
  } catch (error) {
    throw new FailsmallError('FS_ERR_PROXY_CONFIG', `${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** Adds the `proxy` command group (`serve`) to `program`. */
export function registerProxy(program: Command): Command {
  const proxy = program.command('proxy').description('A Toxiproxy-compatible fault proxy (TCP toxics, HTTP faults)');
  // Bad usage exits 2 (help and version 0), as a Unix command does; commander's default would be 1.
  const usage = (error: { exitCode: number }): never => process.exit(error.exitCode === 0 ? 0 : 2);
  proxy.exitOverride(usage);
  proxy
    .command('serve')
    .exitOverride(usage)
    .description('Serve the Toxiproxy HTTP API; proxies are created through it or from --config')
    .option('--host <host>', 'API address (an IP; a token is required off loopback)', '127.0.0.1')
    .option('--port <port>', 'API port', portOption, 8474)
    .option('--config <file>', 'JSON array of proxies to create at start')
    .option('--token <token>', 'require Authorization: Bearer <token> (default $FAILSMALL_PROXY_TOKEN)')
    .action(async (opts: { host: string; port: number; config?: string; token?: string }) => {
      try {
        const token = opts.token ?? process.env['FAILSMALL_PROXY_TOKEN'];
        const proxies = opts.config === undefined ? [] : await loadConfig(opts.config);
        const server = await startProxyServer({
          host: opts.host,
          port: opts.port,
          proxies,
          ...(token === undefined || token === '' ? {} : { token }),
        });
        process.stdout.write(`failsmall proxy: API on ${server.url} (${server.proxies.list().length} proxies)\n`);
        for (const p of server.proxies.list())
          process.stdout.write(`failsmall proxy: ${p.name} ${p.listen} -> ${p.upstream}\n`);
        await untilStopSignal();
        await server.close();
        process.stdout.write('failsmall proxy: stopped\n');
      } catch (error) {
        process.stderr.write(`failsmall proxy serve: ${describeCliError(error)}\n`);
        process.exitCode = isFailsmallError(error, 'FS_ERR_INVALID_ARGUMENT') ? 2 : 1;
      }
    });
  return proxy;
}
