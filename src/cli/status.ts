/**
 * `failsmall status serve [--db sqlite:FILE|postgres://…] [--port N] [--host ADDR] [--token T]
 * [--name NAME] [--url URL] [--cadence 15,60,120] [--cadence-webhook URL] [--catalog catalog-info.yaml]
 * [--auto-publish breaker-open,dns-guard,health-escalation]`: the status page on an
 * embedded SQLite file by default, until SIGINT or SIGTERM. The write token comes from `--token`,
 * `$FAILSMALL_STATUS_TOKEN`, or is generated and printed once. The status module (fastify, the
 * database driver) is loaded only when the command runs.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { describeCliError, untilStopSignal } from './exit-codes.js';

const parsePort = (value: string): number => {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65_535) throw new InvalidArgumentError('expected a port 0..65535');
  return Number(value);
};

const parseCadence = (value: string): number[] => {
  const minutes = value.split(',').map((v) => Number(v.trim()));
  if (minutes.length === 0 || minutes.some((m) => !Number.isFinite(m) || m <= 0)) {
    throw new InvalidArgumentError('expected minutes > 0 separated by commas, e.g. 15,60,120');
  }
  return minutes.map((m) => m * 60_000);
};

const KINDS = ['breaker-open', 'dns-guard', 'health-escalation'] as const;
const parseKinds = (value: string): (typeof KINDS)[number][] => {
  const kinds = value.split(',').map((v) => v.trim());
  for (const k of kinds) {
    if (!(KINDS as readonly string[]).includes(k))
      throw new InvalidArgumentError(`expected kinds among ${KINDS.join(', ')}`);
  }
  return kinds as (typeof KINDS)[number][];
};

interface ServeOptions {
  catalog?: string;
  autoPublish?: (typeof KINDS)[number][];
  db: string;
  port: number;
  host: string;
  token?: string;
  name: string;
  url?: string;
  cadence?: number[];
  cadenceWebhook?: string;
}

/** Adds the `status` command group (with `serve`) to `program` and returns it. */
export function registerStatus(program: Command): Command {
  const status = new Command('status').description(
    'The status page: incidents with an update cadence, Statuspage-compatible JSON, a responder view',
  );
  status
    .command('serve')
    .description('Serve the status page and its write API until interrupted')
    .option('--db <spec>', 'sqlite:<file>, a postgres:// URL, or memory', 'sqlite:failsmall-status.db')
    .option('--port <n>', 'port to listen on', parsePort, 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('--token <token>', 'the write token (default $FAILSMALL_STATUS_TOKEN, else one is generated)')
    .option('--name <name>', 'the page title', 'Status')
    .option('--url <url>', 'the public URL of the page (for links in JSON and the feed)')
    .option('--cadence <minutes>', 'update cadence in minutes, the last repeating', parseCadence)
    .option('--cadence-webhook <url>', 'POST a reminder here when an update comes due')
    .option('--catalog <file>', 'a Backstage catalog-info.yaml tying services to business processes')
    .option(
      '--auto-publish <kinds>',
      'publish these suggestion kinds without a human (breaker-open, dns-guard, health-escalation); default none',
      parseKinds,
    )
    .action(async (opts: ServeOptions) => {
      let store: { close(): Promise<void> } | undefined;
      try {
        const { openStatusStore, StatusService, startStatusServer } = await import('../status/index.js');
        const fromEnv = process.env['FAILSMALL_STATUS_TOKEN'] || undefined; // empty counts as unset
        const token = opts.token ?? fromEnv ?? randomBytes(18).toString('base64url');
        const opened = await openStatusStore(opts.db);
        store = opened;
        const service = new StatusService({
          store: opened,
          page: {
            name: opts.name,
            url: opts.url ?? `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}/`,
          },
          ...(opts.cadence === undefined ? {} : { cadence: { intervalsMs: opts.cadence } }),
          ...(opts.cadenceWebhook === undefined ? {} : { cadenceWebhook: opts.cadenceWebhook }),
          ...(opts.autoPublish === undefined ? {} : { autoPublish: opts.autoPublish.map((kind) => ({ kind })) }),
        });
        if (opts.catalog !== undefined) {
          let text: string;
          try {
            text = readFileSync(opts.catalog, 'utf8');
          } catch (error) {
            throw new Error(`--catalog: cannot read ${opts.catalog}: ${(error as Error).message}`, { cause: error });
          }
          const loaded = await service.loadCatalog(text, 'file');
          process.stdout.write(
            `catalog ${opts.catalog}: ${loaded.entities} entities${loaded.ignored.length === 0 ? '' : `, ${loaded.ignored.length} of other kinds skipped`}
`,
          );
        }
        await service.start();
        service.onReminder.on((r) =>
          process.stderr.write(`${new Date(r.at).toISOString()} ${r.type} ${r.incidentId} ${JSON.stringify(r.name)}\n`),
        );
        const server = await startStatusServer({ service, token, host: opts.host, port: opts.port });
        process.stdout.write(`failsmall status: ${server.url}/ (store ${opened.kind}: ${opts.db})\n`);
        if (opts.token === undefined && fromEnv === undefined) {
          process.stdout.write(`write token (generated): ${token}\n`);
        }
        await untilStopSignal();
        await server.close();
      } catch (error) {
        process.stderr.write(`failsmall status serve: ${describeCliError(error)}\n`);
        process.exitCode = 1;
      } finally {
        await store?.close().catch(() => undefined);
      }
    });
  program.addCommand(status);
  return status;
}
