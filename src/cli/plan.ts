/**
 * `failsmall plan race --mode legacy|safe [--seed N] [--json]`: the planner and three enactors against a
 * fault DNS server on loopback, with the delay that triggers the race of 2025-10-20. Prints the
 * interleaving and what the DNS server answers for the endpoint at the end (asked over DNS).
 */
import { promises as dns } from 'node:dns';
import type * as Commander from 'commander';
import { startFaultDnsServer } from '../chaos/index.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { runRace } from '../lab/race/race.js';
import type { RaceLine } from '../lab/race/trace.js';
import type { RaceMode } from '../lab/race/world.js';
import { HttpDnsProvider } from '../plan/http-provider.js';
import { openPlanStore } from '../store/index.js';
import { importPeer } from '../core/optional-peer.js';

const { Command, InvalidArgumentError } = await importPeer<typeof Commander>('commander', 'the failsmall command');

/** What `--json` prints: one object. */
export interface RaceReport {
  readonly mode: RaceMode;
  readonly seed: number;
  readonly endpoint: string;
  /** What the DNS server answers for the endpoint at the end, sorted. */
  readonly final_addresses: string[];
  /** NOERROR (with or without addresses) or NXDOMAIN. */
  readonly final_rcode: string;
  /** The generation the provider holds at the end. */
  readonly final_generation: number;
  /** The record set was empty at some point. */
  readonly emptied: boolean;
  /** A later plan could no longer be applied. */
  readonly stuck: boolean;
  /** The record set moved to an older generation at some point. */
  readonly older_generation: boolean;
  readonly latest_generation: number;
  readonly violations: { kind: string; at_ms: number; detail: string }[];
  readonly interleaving: { at_ms: number; actor: string; text: string }[];
}

/** Asks the DNS server for the endpoint's A records. */
async function askDns(server: string, name: string): Promise<{ rcode: string; addresses: string[] }> {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([server]);
  try {
    return { rcode: 'NOERROR', addresses: (await resolver.resolve4(name)).sort() };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENODATA') return { rcode: 'NOERROR', addresses: [] };
    if (code === 'ENOTFOUND') return { rcode: 'NXDOMAIN', addresses: [] };
    return { rcode: code ?? 'ERROR', addresses: [] };
  }
}

/** Runs the race against a fault DNS server on loopback and reports it. */
export async function raceOnLoopback(options: {
  mode: RaceMode;
  seed: number;
  store?: string;
  removal?: 'noerror' | 'nxdomain';
  onLine?: (line: RaceLine) => void;
}): Promise<RaceReport> {
  const zone = 'example.com';
  const endpoint = `dynamodb.us-east-1.${zone}`;
  // The store first: a store that cannot open leaves nothing else started.
  const store = await openPlanStore(options.store ?? 'memory');
  let server: Awaited<ReturnType<typeof startFaultDnsServer>> | undefined;
  try {
    server = await startFaultDnsServer({
      zones: [{ name: zone, records: [] }],
      random: seededRandom(options.seed),
    });
    const result = await runRace({
      mode: options.mode,
      seed: options.seed,
      provider: new HttpDnsProvider({ apiUrl: server.apiUrl }),
      store,
      zone,
      name: endpoint,
      ...(options.removal === undefined ? {} : { removal: options.removal }),
      ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
    });
    const answer = await askDns(server.dnsServer, endpoint);
    return {
      mode: result.mode,
      seed: result.seed,
      endpoint,
      final_addresses: answer.addresses,
      final_rcode: answer.rcode,
      final_generation: result.final.generation,
      emptied: result.emptied,
      stuck: result.stuck,
      older_generation: result.olderGeneration,
      latest_generation: result.latestGeneration,
      violations: result.violations.map((v) => ({ kind: v.kind, at_ms: v.at, detail: v.detail })),
      interleaving: result.lines.map((l) => ({ at_ms: l.at, actor: l.actor, text: l.text })),
    };
  } finally {
    await Promise.allSettled([store.close(), server?.close()]);
  }
}

const parseSeed = (value: string): number => {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('expected a non-negative integer');
  return Number(value);
};

/** Adds the `plan` command group (with `race`) to `program` and returns it. */
export function registerPlan(program: Commander.Command): Commander.Command {
  const plan = new Command('plan').description('Fenced plan enactment: see the DNS race of 2025-10-20 and the fences');
  plan
    .command('race')
    .description(
      'Run the planner and three enactors against a fault DNS server on loopback, with the delay that triggers the race',
    )
    .requiredOption('--mode <mode>', 'legacy (as on 2025-10-20) or safe (fenced)', (v: string) => {
      if (v !== 'legacy' && v !== 'safe') throw new InvalidArgumentError('expected legacy or safe');
      return v;
    })
    .option('--seed <n>', 'seeds the weights, jitter and DNS answers', parseSeed, 1)
    .option('--store <spec>', 'memory, sqlite:<file> or a postgres:// URL', 'memory')
    .option('--nxdomain', 'legacy clean-up deletes the name (NXDOMAIN) instead of leaving it empty')
    .option('--json', 'print one JSON object instead of the interleaving')
    .action(async (opts: { mode: RaceMode; seed: number; store: string; nxdomain?: boolean; json?: boolean }) => {
      try {
        const print = (l: RaceLine): void => {
          process.stdout.write(`${(l.at / 1000).toFixed(3).padStart(7)} s  ${l.actor.padEnd(10)} ${l.text}\n`);
        };
        if (opts.json !== true) {
          process.stdout.write(`failsmall plan race: mode ${opts.mode}, seed ${opts.seed} (virtual time)\n`);
        }
        const report = await raceOnLoopback({
          mode: opts.mode,
          seed: opts.seed,
          store: opts.store,
          ...(opts.nxdomain === true ? { removal: 'nxdomain' as const } : {}),
          ...(opts.json === true ? {} : { onLine: print }),
        });
        if (opts.json === true) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        const answer =
          report.final_addresses.length > 0 ? report.final_addresses.join(', ') : `no address (${report.final_rcode})`;
        process.stdout.write(
          `\n${report.endpoint} answers: ${answer}\n` +
            `emptied: ${report.emptied}   stuck: ${report.stuck}   older generation applied: ${report.older_generation}\n`,
        );
      } catch (error) {
        const code = isFailsmallError(error) ? `${error.code}: ` : '';
        process.stderr.write(`failsmall plan race: ${code}${(error as Error).message}\n`);
        process.exitCode = 1;
      }
    });
  program.addCommand(plan);
  return plan;
}
