/**
 * `failsmall health check --config FILE [--json] [--rounds N --interval MS]`: runs health/'s monitor
 * over the targets and probes of a YAML (or JSON) file and prints each target's decision with its
 * reason. Exit 0; 1 when an escalation was raised (a human should look); 2 for bad usage or config.
 *
 * ```yaml
 * name: orders-api
 * targets:
 *   - { id: az1, address: 127.0.0.2, port: 8080, zone: use1-az1 }
 *   - { id: az2, address: 127.0.0.3, port: 8080, zone: use1-az2 }
 * sources:
 *   - { type: tcp, name: nlb }
 *   - { type: http, name: outside, path: /health }
 * quorum: 2
 * guardrails: { maxRemovedShare: 0.5, floor: 0.5 }
 * ```
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import type * as Zod from 'zod';
import { FailsmallError } from '../core/errors.js';
import { requirePeer } from '../core/optional-peer.js';
import { dnsProbe, HealthMonitor, httpProbe, tcpProbe } from '../health/index.js';
import type {
  Escalation,
  FaultyCheck,
  GuardrailOptions,
  HealthRound,
  HealthSource,
  SetChange,
} from '../health/index.js';
import { CLI_USAGE, describeCliError, exitCodes } from './exit-codes.js';
import { given } from '../core/given.js';
import { parseConfig } from './yaml-config.js';

// zod is an optional peer, loaded when this command is (FS_ERR_MISSING_PEER names it).
const { z } = requirePeer<typeof Zod>('zod', 'the config reader of failsmall health');

/** Code of a health config that cannot be used. */
export const HEALTH_CONFIG = 'FS_ERR_HEALTH_CONFIG';

const ms = (what: string) =>
  z.number({ error: `expected ${what} in milliseconds (a number)` }).nonnegative(`expected ${what} >= 0`);
const port = z
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(1, 'expected a port from 1 to 65535')
  .max(65535, 'expected a port from 1 to 65535');
const name = z.string({ error: 'expected a name' }).min(1, 'expected a non-empty name');
const riseFall = {
  rise: z.number().int().positive('expected rise >= 1').optional(),
  fall: z.number().int().positive('expected fall >= 1').optional(),
};
const share = (what: string) =>
  z
    .number({ error: `expected ${what} as a share from 0 to 1` })
    .min(0, `expected ${what} >= 0`)
    .max(1, `expected ${what} <= 1`);

const sourceSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('http'),
      name: name.optional(),
      path: z.string().startsWith('/', 'expected a path starting with /').optional(),
      port: port.optional(),
      host: z.string().min(1).optional(),
      expect: z.tuple([z.number().int(), z.number().int()], { error: 'expected [lowest, highest] status' }).optional(),
      ...riseFall,
    }),
    z.strictObject({ type: z.literal('tcp'), name: name.optional(), port: port.optional(), ...riseFall }),
    z.strictObject({
      type: z.literal('dns'),
      name: name.optional(),
      query: z.string({ error: 'expected the name to ask for' }).min(1, 'expected the name to ask for'),
      family: z.union([z.literal(4), z.literal(6)], { error: 'expected 4 or 6' }).optional(),
      port: port.optional(),
      minAddresses: z.number().int().nonnegative().optional(),
      ...riseFall,
    }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? 'expected type to be http, tcp or dns' : undefined) },
);

/** The schema of `failsmall health check --config`. Durations are milliseconds. */
export const healthConfigSchema = z.strictObject({
  name: name.optional(),
  targets: z
    .array(
      z.strictObject({
        id: name,
        address: z.string({ error: 'expected an IP address' }).refine((a) => isIP(a) !== 0, 'expected an IP address'),
        port: port.optional(),
        zone: z.string().min(1).optional(),
      }),
      { error: 'expected a list of targets' },
    )
    .min(1, 'expected at least one target')
    .refine((ts) => new Set(ts.map((t) => t.id)).size === ts.length, 'expected unique target ids'),
  sources: z.array(sourceSchema, { error: 'expected a list of sources' }).min(1, 'expected at least one source'),
  quorum: z.number().int().positive('expected a quorum >= 1').optional(),
  timeout: ms('the check timeout').optional(),
  guardrails: z
    .strictObject({
      maxRemovedShare: share('maxRemovedShare').optional(),
      window: ms('the velocity window').optional(),
      floor: share('floor').optional(),
      failOpen: z.boolean().optional(),
      panicThreshold: share('panicThreshold').optional(),
      holdDown: ms('the hold-down').optional(),
      slowStart: z.literal(false).optional(),
    })
    .optional(),
});

/** A parsed config. */
export type HealthConfig = Zod.output<typeof healthConfigSchema>;

/** Reads and validates a config file (`FS_ERR_HEALTH_CONFIG` naming the field and line). */
export function loadHealthConfig(path: string): HealthConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new FailsmallError(HEALTH_CONFIG, `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
  return parseConfig(text, healthConfigSchema, path, HEALTH_CONFIG);
}

function sourceOf(s: HealthConfig['sources'][number]): HealthSource {
  // One check decides in the CLI unless the file says otherwise: a single round must be able to act.
  const rf = { rise: s.rise ?? 1, fall: s.fall ?? 1 };
  if (s.type === 'http') {
    const [lo, hi] = s.expect ?? [200, 399];
    return httpProbe({
      ...given({ name: s.name, path: s.path, port: s.port, host: s.host }),
      expect: (status) => status >= lo && status <= hi,
      riseFall: rf,
    });
  }
  if (s.type === 'tcp') return tcpProbe({ ...given({ name: s.name, port: s.port }), riseFall: rf });
  return dnsProbe({
    query: s.query,
    ...given({ name: s.name, family: s.family, port: s.port, minAddresses: s.minAddresses }),
    riseFall: rf,
  });
}

/** What `--json` prints. */
export interface HealthCheckReport {
  readonly set: string;
  readonly rounds: number;
  readonly mode: HealthRound['mode'];
  readonly targets: {
    readonly id: string;
    readonly address: string;
    readonly port: number | null;
    readonly in_set: boolean;
    readonly reason: string;
    readonly weight: number;
    readonly vote: string;
    readonly votes_up: number;
    readonly votes_down: number;
    readonly abstained: number;
  }[];
  readonly changes: SetChange[];
  readonly escalations: Escalation[];
  readonly faulty: { source: string; target: string; problem: string }[];
}

/** Runs `rounds` rounds of the config's monitor, `intervalMs` apart, and reports the last with every event. */
export async function runHealthCheck(config: HealthConfig, rounds = 1, intervalMs = 1_000): Promise<HealthCheckReport> {
  const sources = config.sources.map(sourceOf);
  const names = new Set<string>();
  for (const [i, s] of sources.entries()) {
    if (names.has(s.name))
      throw new FailsmallError(HEALTH_CONFIG, `sources[${i}].name: expected a unique name, got "${s.name}"`, {
        details: { field: `sources[${i}].name` },
      });
    names.add(s.name);
  }
  const monitor = new HealthMonitor({
    name: config.name ?? 'health-check',
    targets: config.targets,
    sources,
    ...given({
      quorum: config.quorum,
      timeout: config.timeout,
      guardrails: config.guardrails as GuardrailOptions | undefined,
    }),
  });
  const changes: SetChange[] = [];
  const escalations: Escalation[] = [];
  const faulty: FaultyCheck[] = [];
  monitor.onChange((c) => changes.push(c));
  monitor.onEscalation((e) => escalations.push(e));
  monitor.onFaulty((f) => faulty.push(f));
  let last: HealthRound | undefined;
  for (let i = 0; i < rounds; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await monitor.evaluate();
  }
  const round = last!;
  const byId = new Map(config.targets.map((t) => [t.id, t]));
  return {
    set: monitor.name,
    rounds,
    mode: round.mode,
    targets: round.members.map((m) => {
      const d = round.decisions[m.id]!;
      const t = byId.get(m.id)!;
      return {
        id: m.id,
        address: t.address,
        port: t.port ?? null,
        in_set: m.inSet,
        reason: m.reason,
        weight: Math.round(m.weight * 1000) / 1000,
        vote: d.reason,
        votes_up: d.up,
        votes_down: d.down,
        abstained: d.abstained,
      };
    }),
    changes,
    escalations,
    faulty: faulty.map((f) => ({ source: f.source, target: f.target, problem: String(f.problem) })),
  };
}

/** The report as a table. */
export function formatHealthCheck(r: HealthCheckReport): string {
  const rows = [
    ['target', 'address', 'in set', 'reason', 'vote (up/down/abstained)', 'weight'],
    ...r.targets.map((t) => [
      t.id,
      t.port === null ? t.address : `${t.address}:${t.port}`,
      t.in_set ? 'yes' : 'NO',
      t.reason,
      `${t.vote} (${t.votes_up}/${t.votes_down}/${t.abstained})`,
      String(t.weight),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const out = [`set ${r.set}: ${r.rounds} round${r.rounds === 1 ? '' : 's'}, mode ${r.mode}`, '', ...lines];
  for (const c of r.changes) out.push(`change: ${c.target} ${c.change} (${c.reason}) by ${c.by}`);
  for (const e of r.escalations) out.push(`ESCALATION: ${e.reason}: ${e.targets.join(', ')}`);
  for (const f of r.faulty) out.push(`faulty check: ${f.source} on ${f.target}: ${f.problem}`);
  return out.join('\n');
}

function count(value: string | undefined, option: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min)
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `${option}: expected a whole number >= ${min}, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** Adds the `health` command (with `health check`) to `program` and returns it. */
export function registerHealth(program: Command): Command {
  const health = program.command('health').description('Multi-source health checks with quorum and guardrails');
  health
    .command('check')
    .description("Run the probes of a config file once (or --rounds N) and print each target's decision")
    .option('--config <file>', 'a YAML or JSON file: targets, sources (http/tcp/dns), quorum, guardrails')
    .option('--json', 'print one JSON object instead of the table')
    .option('--rounds <n>', 'rounds to run, default 1')
    .option('--interval <ms>', 'real milliseconds between rounds, default 1000')
    .action(async (opts: { config?: string; json?: boolean; rounds?: string; interval?: string }) => {
      try {
        if (opts.config === undefined) throw new FailsmallError(CLI_USAGE, '--config <file> is required');
        const rounds = count(opts.rounds, '--rounds', 1, 1);
        const interval = count(opts.interval, '--interval', 0, 1_000);
        const config = loadHealthConfig(opts.config);
        const report = await runHealthCheck(config, rounds, interval);
        process.stdout.write(opts.json === true ? `${JSON.stringify(report)}\n` : `${formatHealthCheck(report)}\n`);
        process.exitCode = report.escalations.length > 0 ? exitCodes.failed : exitCodes.ok;
      } catch (error) {
        process.stderr.write(`failsmall health check: ${describeCliError(error)}\n`);
        process.exitCode = exitCodes.usage; // a config or option that cannot be used: nothing was decided
      }
    });
  return health;
}
