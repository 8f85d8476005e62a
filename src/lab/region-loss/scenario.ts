/**
 * The region-loss scenario format (`kind: region-loss`): two loopback regions with asynchronous
 * replication, the primary's servers stopped for a period, failsmall's settings, the load. A YAML
 * file validated with zod like the default scenario (the field named with its line:
 * `my.yaml:20:13: phases.loss: expected the loss length: a duration like 2h37m, 15m or 90s, got "x"`).
 * Durations are real time: the scenario is short enough to run uncompressed, and failsmall's timers
 * (breaker, failback, outbox) run on the real clock exactly as configured.
 */
import type * as Zod from 'zod';
import { requirePeer } from '../../core/optional-peer.js';
import {
  capacityFields,
  duration,
  hostname,
  int,
  loopback,
  parseScenario,
  parseScenarioYaml,
  readScenarioText,
} from '../scenario.js';
import type { Scenario } from '../scenario.js';
import { regionLossScenarioName, regionLossScenarioYaml } from './embedded.js';

const { z } = requirePeer<typeof Zod>('zod', 'the scenario reader of failsmall/lab');

/** One region of the scenario. */
export interface LossRegion {
  /** Its name, e.g. `us-east-1`; the endpoint is `dynamodb.<name>.<zone>`. */
  readonly name: string;
  /** The loopback addresses its table service listens on. */
  readonly addresses: readonly string[];
}

/** A validated region-loss scenario. Durations in real milliseconds unless the name says otherwise. */
export interface RegionLossScenario {
  readonly kind: 'region-loss';
  readonly name: string;
  readonly seed: number;
  readonly regions: {
    readonly zone: string;
    /** The DNS TTL on the wire, whole seconds. */
    readonly ttlS: number;
    readonly primary: LossRegion;
    readonly replica: LossRegion;
    readonly replicationLagMs: number;
  };
  readonly table: {
    readonly concurrency: number;
    readonly queue: number;
    readonly serviceTimeMs: number;
    readonly items: number;
  };
  readonly load: {
    readonly rate: number;
    readonly readShare: number;
    readonly timeoutMs: number;
    readonly maxRequests: number;
  };
  /** When the primary is lost and when it returns, and the run's end, ms from the start. */
  readonly phases: { readonly lossAtMs: number; readonly returnAtMs: number; readonly endMs: number };
  readonly failsmall: {
    readonly breakerHalfOpenMs: number;
    readonly failback: {
      readonly dwellMs: number;
      readonly stableForMs: number;
      readonly probes: number;
      readonly probeIntervalMs: number;
      readonly rampMs: number;
    };
    readonly outbox: { readonly rate: number; readonly drainIntervalMs: number };
    readonly drainTimeoutMs: number;
    readonly maxDrainRejectedShare: number;
  };
}

const region = z.strictObject({
  name: z.string({ error: 'expected a region name' }).regex(/^[a-z0-9-]{1,63}$/, 'expected a region name (a-z 0-9 -)'),
  addresses: z
    .array(loopback, { error: 'expected a list of loopback addresses' })
    .min(1, 'expected at least one address')
    .max(16, 'expected at most 16 addresses')
    .refine((a) => new Set(a).size === a.length, 'expected distinct addresses'),
});

const positive = (what: string) => duration(what).refine((s) => s > 0, { error: `expected ${what} > 0` });

const share = (what: string) =>
  z
    .number({ error: `expected ${what} between 0 and 1` })
    .min(0, `expected ${what} >= 0`)
    .max(1, `expected ${what} <= 1`);

/** The file format (snake_case); see scenarios/region-loss.yaml for every field with its meaning. */
export const regionLossFileSchema = z
  .strictObject({
    kind: z.literal('region-loss', { error: 'expected "region-loss"' }),
    name: z.string({ error: 'expected a name' }).min(1).max(200),
    seed: int(0, 2 ** 32 - 1, 'a seed').default(1),
    regions: z.strictObject({
      zone: hostname,
      ttl: duration('the DNS TTL').default(5),
      primary: region,
      replica: region,
      replication_lag: positive('the replication lag'),
    }),
    table: z.strictObject({
      ...capacityFields(),
      items: int(1, 100_000, 'an item count').default(100),
    }),
    load: z.strictObject({
      rate: z
        .number({ error: 'expected a rate (requests per real second)' })
        .positive('expected a rate > 0')
        .max(2_000, 'expected a rate <= 2000 per second'),
      read_share: share('a share').default(0.7),
      timeout_ms: z
        .number({ error: 'expected a timeout in milliseconds' })
        .positive('expected a timeout > 0')
        .max(600_000, 'expected a timeout <= 600000 ms'),
      max_requests: int(1, 10_000_000, 'a request bound').default(1_000_000),
    }),
    phases: z.strictObject({
      steady: positive('the steady length'),
      loss: positive('the loss length'),
      after: positive('the length after the return'),
    }),
    failsmall: z.strictObject({
      breaker_half_open: positive('the breaker half-open delay'),
      failback: z.strictObject({
        dwell: duration('the dwell'),
        stable_for: duration('the stable time'),
        probes: int(0, 100, 'a probe count'),
        probe_interval: positive('the probe interval'),
        ramp: positive('the ramp'),
      }),
      outbox: z.strictObject({
        rate: z.number({ error: 'expected a rate' }).positive('expected a rate > 0').max(10_000),
        drain_interval: positive('the drain interval'),
      }),
      drain_timeout: positive('the drain timeout'),
      max_drain_rejected_share: share('a share').default(0.05),
    }),
  })
  .superRefine((s, ctx) => {
    if (s.regions.primary.name === s.regions.replica.name) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions', 'replica', 'name'],
        message: 'expected a name other than the primary',
      });
    }
    const taken = new Set(s.regions.primary.addresses);
    s.regions.replica.addresses.forEach((a, i) => {
      if (taken.has(a)) {
        ctx.addIssue({
          code: 'custom',
          path: ['regions', 'replica', 'addresses', i],
          message: `expected an address the primary does not use, got ${JSON.stringify(a)}`,
        });
      }
    });
    if (s.regions.ttl < 1 || !Number.isInteger(s.regions.ttl)) {
      ctx.addIssue({ code: 'custom', path: ['regions', 'ttl'], message: 'expected a whole number of seconds >= 1s' });
    }
  });

const ms = (seconds: number): number => Math.round(seconds * 1000);

/** Parses and validates a region-loss scenario; `FS_ERR_LAB_SCENARIO` names the field and its line. */
export function parseRegionLossScenario(text: string, source = 'scenario'): RegionLossScenario {
  const f = parseScenarioYaml(regionLossFileSchema, text, source);
  const lossAtMs = ms(f.phases.steady);
  const returnAtMs = lossAtMs + ms(f.phases.loss);
  return {
    kind: 'region-loss',
    name: f.name,
    seed: f.seed,
    regions: {
      zone: f.regions.zone,
      ttlS: f.regions.ttl,
      primary: f.regions.primary,
      replica: f.regions.replica,
      replicationLagMs: ms(f.regions.replication_lag),
    },
    table: {
      concurrency: f.table.concurrency,
      queue: f.table.queue,
      serviceTimeMs: f.table.service_time_ms,
      items: f.table.items,
    },
    load: {
      rate: f.load.rate,
      readShare: f.load.read_share,
      timeoutMs: f.load.timeout_ms,
      maxRequests: f.load.max_requests,
    },
    phases: { lossAtMs, returnAtMs, endMs: returnAtMs + ms(f.phases.after) },
    failsmall: {
      breakerHalfOpenMs: ms(f.failsmall.breaker_half_open),
      failback: {
        dwellMs: ms(f.failsmall.failback.dwell),
        stableForMs: ms(f.failsmall.failback.stable_for),
        probes: f.failsmall.failback.probes,
        probeIntervalMs: ms(f.failsmall.failback.probe_interval),
        rampMs: ms(f.failsmall.failback.ramp),
      },
      outbox: { rate: f.failsmall.outbox.rate, drainIntervalMs: ms(f.failsmall.outbox.drain_interval) },
      drainTimeoutMs: ms(f.failsmall.drain_timeout),
      maxDrainRejectedShare: f.failsmall.max_drain_rejected_share,
    },
  };
}

/** The built-in region-loss scenario (about 43 real seconds). */
export function regionLossScenario(): RegionLossScenario {
  return parseRegionLossScenario(regionLossScenarioYaml, regionLossScenarioName);
}

/** Either scenario format. */
export type AnyScenario = Scenario | RegionLossScenario;

/** True for a region-loss scenario. */
export function isRegionLoss(scenario: AnyScenario): scenario is RegionLossScenario {
  return (scenario as { kind?: unknown }).kind === 'region-loss';
}

/** The names `failsmall replay --scenario` accepts besides a file path. */
export const builtInScenarios = ['region-loss'] as const;

/**
 * Reads a scenario file of either format (a top-level `kind: region-loss` selects the region-loss
 * format), or returns the built-in scenario of that name (`region-loss`). Throws
 * `FS_ERR_LAB_SCENARIO` when it cannot be read or is invalid.
 */
export function loadAnyScenario(nameOrPath: string): AnyScenario {
  if (nameOrPath === 'region-loss') return regionLossScenario();
  const text = readScenarioText(nameOrPath, ` (built-in scenarios: ${builtInScenarios.join(', ')})`);
  return /^kind:\s*['"]?region-loss['"]?\s*(#.*)?$/m.test(text)
    ? parseRegionLossScenario(text, nameOrPath)
    : parseScenario(text, nameOrPath);
}
