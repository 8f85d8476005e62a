/**
 * The replay's scenario, as data: the region (zone, endpoint, addresses, TTLs), the table service's
 * capacity, the open-loop load, and the phases of the outage on a timeline taken from OUTAGE.md. A
 * YAML file, validated with zod; a wrong field is named with its path and its line:
 * `scenario.yaml:14:15: phases[2].duration: expected a duration like 2h37m, 15m or 90s, got "soon"`.
 *
 * Durations are scenario time (what the outage took). `speed` compresses them: at speed 120 the
 * 2 h 37 min empty window lasts 78.5 real seconds. The DNS TTLs are scenario time too and are
 * compressed with everything else, but DNS carries whole seconds, so the TTL a client sees on the wire
 * is `max(1, round(ttl / speed))` real seconds ({@link wireTtl}); the effective scenario TTL is that
 * times `speed`. The load rate is in requests per real second: the machine's capacity is real.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type * as Zod from 'zod';
import { requirePeer } from '../core/optional-peer.js';
import { FailsmallError } from '../core/index.js';
import { defaultGuardConfig } from '../dns/index.js';
import { loadYaml, parseYamlWith } from '../chaos/yaml-text.js';
import { defaultScenarioName, defaultScenarioYaml } from './default-scenario.js';

// yaml and zod are optional peers, loaded when this module is first imported (FS_ERR_MISSING_PEER names them).
const yaml = await loadYaml('the scenario reader of failsmall/lab');
const { z } = requirePeer<typeof Zod>('zod', 'the scenario reader of failsmall/lab');

/** The kinds of phase, in the order the outage went through them. */
export const phaseKinds = ['steady', 'race', 'empty', 'restore'] as const;
/**
 * What a phase does at its start:
 * - `steady`: nothing; the record serves its addresses.
 * - `race`: the DNS planner and three enactors run in legacy mode (the 2025-10-20 race); the race
 *   ends with the record emptied. Beside it, the same race in safe mode runs on a twin record.
 * - `empty`: the record stays empty (NOERROR/no data, or NXDOMAIN: `region.empty_answer`); the
 *   servers behind it stay up.
 * - `restore`: the record is restored by hand; recursive resolvers keep serving the cached empty
 *   answer until `region.negative_ttl` has passed (02:25 → 02:40 on the day).
 */
export type PhaseKind = (typeof phaseKinds)[number];

/** One phase of the timeline, in scenario seconds. */
export interface Phase {
  readonly kind: PhaseKind;
  /** Start, in scenario seconds from the beginning of the run. */
  readonly startS: number;
  /** Length in scenario seconds. */
  readonly durationS: number;
  /** `startS + durationS`. */
  readonly endS: number;
  /** The wall-clock time on the day, for labels (`"Oct 19 23:48 PDT"`), when given. */
  readonly at?: string;
  /** A sentence for the report. */
  readonly note?: string;
}

/** A validated scenario. Times in scenario seconds unless the name says otherwise. */
export interface Scenario {
  readonly name: string;
  /** Scenario seconds per real second. */
  readonly speed: number;
  /** Seed of the arrivals and every other random draw. */
  readonly seed: number;
  readonly region: {
    /** The zone the fault DNS server is authoritative for, e.g. `amazonaws.com`. */
    readonly zone: string;
    /** The name the clients resolve, e.g. `dynamodb.us-east-1.amazonaws.com`. */
    readonly endpoint: string;
    /** The record set's addresses: the table service listens on each. */
    readonly addresses: readonly string[];
    /** The record's TTL in scenario seconds (compressed: see {@link wireTtl}). */
    readonly ttlS: number;
    /** How long resolvers keep the cached empty answer after the restore, scenario seconds. */
    readonly negativeTtlS: number;
    /** What the emptied name answers: NOERROR with no data, or NXDOMAIN. */
    readonly emptyAnswer: 'nodata' | 'nxdomain';
  };
  readonly table: {
    readonly name: string;
    /** Requests in service at once per address. */
    readonly concurrency: number;
    /** Requests waiting per address. */
    readonly queue: number;
    /** Service time per request, real milliseconds. */
    readonly serviceTimeMs: number;
    readonly overload: 'throughput' | 'throttling' | 'unavailable';
    /** Items seeded before the run (keys `item-0` … `item-<n-1>`). */
    readonly items: number;
    /** A connection is closed after its first response past this age, scenario seconds (Infinity: never). */
    readonly connectionMaxAgeS: number;
  };
  readonly load: {
    /** Logical requests per real second, for each client group (the same arrivals for all groups). */
    readonly rate: number;
    /** Share of reads (GetItem); the rest are writes (PutItem). */
    readonly readShare: number;
    /** Deadline of one logical request, retries included, real milliseconds. */
    readonly timeoutMs: number;
    /** Most logical requests per group: a bound on the run. */
    readonly maxRequests: number;
  };
  readonly phases: readonly Phase[];
  /** Width of a timeline bucket, scenario seconds. */
  readonly bucketS: number;
  /** The failsmall group's settings. */
  readonly failsmall: {
    /**
     * How long its resolver keeps the last-known-good addresses of a name that answers empty once
     * connects to them stop succeeding (and no independent upstream confirms the change), scenario
     * seconds; default the resolver's own hold-down, 300 (5 minutes). Its reachability window and
     * its 24 h cap are the resolver's defaults too, compressed like every duration.
     */
    readonly holdDownS: number;
  };
  /** Length of the whole run, scenario seconds. */
  readonly totalS: number;
}

/** Overrides applied on top of a file ({@link withOverrides}). */
export interface ScenarioOverrides {
  readonly speed?: number;
  readonly seed?: number;
}

const durationPattern = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?$/;

/** Parses `2h37m`, `15m`, `90s`, `1h`, `0.5s` or a number of seconds into seconds; `undefined` if malformed. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const text = input.trim().replace(/\s+/g, '');
  if (text === '') return undefined;
  const m = durationPattern.exec(text);
  if (m === null) return undefined;
  const [, h, min, s] = m;
  return Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}

/** Formats scenario seconds as `2h37m`, `15m`, `45s`. */
export function formatDuration(seconds: number): string {
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 || total === 0 ? `${s}s` : ''];
  return parts.join('');
}

/** A zod field of a duration (`2h37m`, `15m`, `90s`, seconds; `never` too when allowed), in seconds. */
export const duration = (what: string, never = false) => {
  const expected = `expected ${what}: a duration like 2h37m, 15m or 90s${never ? ', or never' : ''}`;
  return z.union([z.string(), z.number()], { error: expected }).transform((raw, ctx) => {
    const seconds = never && raw === 'never' ? Infinity : parseDuration(raw);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: `${expected}, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return seconds;
  });
};

/** The failsmall resolver's own hold-down, scenario seconds. */
const defaultHoldDownS = defaultGuardConfig.holdDown / 1000;

/** A zod field of a domain name, lower-cased. */
export const hostname = z
  .string({ error: 'expected a domain name' })
  .regex(/^(?=.{1,253}\.?$)([a-z0-9_-]{1,63}\.)*[a-z0-9_-]{1,63}\.?$/i, 'expected a domain name')
  .transform((s) => s.toLowerCase().replace(/\.$/, ''));

/** A zod field of an IPv4 loopback address. */
export const loopback = z
  .string({ error: 'expected an IPv4 loopback address' })
  .refine((s) => isIP(s) === 4 && s.startsWith('127.'), {
    error: (issue) => `expected an IPv4 loopback address (127.0.0.0/8), got ${JSON.stringify(issue.input)}`,
  });

/** A zod field of an integer in [min, max]. */
export const int = (min: number, max: number, what: string) =>
  z
    .number({ error: `expected ${what}` })
    .int(`expected ${what} (an integer)`)
    .min(min, `expected ${what} >= ${min}`)
    .max(max, `expected ${what} <= ${max}`);

/** The table nodes' capacity fields (`concurrency`, `queue`, `service_time_ms`), shared by the scenario formats. */
export const capacityFields = () => ({
  concurrency: int(1, 10_000, 'a concurrency'),
  queue: int(0, 100_000, 'a queue length'),
  service_time_ms: z
    .number({ error: 'expected a service time in milliseconds' })
    .min(0, 'expected a service time >= 0')
    .max(10_000, 'expected a service time <= 10000 ms'),
});

const phaseSchema = z.strictObject({
  kind: z.enum(phaseKinds, {
    error: (issue) => `expected one of ${phaseKinds.join(', ')}, got ${JSON.stringify(issue.input)}`,
  }),
  duration: duration('the phase length'),
  at: z.string({ error: 'expected a label such as "Oct 19 23:48 PDT"' }).max(64).optional(),
  note: z.string({ error: 'expected a sentence' }).max(500).optional(),
});

/** The file format (snake_case); see scenarios/2025-10-20.yaml for every field with its meaning. */
export const scenarioFileSchema = z
  .strictObject({
    name: z.string({ error: 'expected a name' }).min(1).max(200),
    speed: z
      .number({ error: 'expected a speed (scenario seconds per real second)' })
      .positive('expected a speed > 0')
      .max(1_000_000, 'expected a speed <= 1000000'),
    seed: int(0, 2 ** 32 - 1, 'a seed').default(1),
    region: z.strictObject({
      zone: hostname,
      endpoint: hostname,
      addresses: z
        .array(loopback, { error: 'expected a list of loopback addresses' })
        .min(1, 'expected at least one address')
        .max(16, 'expected at most 16 addresses')
        .refine((a) => new Set(a).size === a.length, 'expected distinct addresses'),
      ttl: duration('the record TTL'),
      negative_ttl: duration('the negative-cache TTL'),
      empty_answer: z.enum(['nodata', 'nxdomain'], { error: 'expected "nodata" or "nxdomain"' }).default('nodata'),
    }),
    table: z.strictObject({
      name: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -)')
        .default('orders'),
      ...capacityFields(),
      overload: z
        .enum(['throughput', 'throttling', 'unavailable'], {
          error: 'expected "throughput", "throttling" or "unavailable"',
        })
        .default('throughput'),
      items: int(1, 1_000_000, 'an item count').default(1000),
      connection_max_age: duration('the connection age', true).default(Infinity),
    }),
    load: z.strictObject({
      rate: z
        .number({ error: 'expected a rate (requests per real second)' })
        .positive('expected a rate > 0')
        .max(5_000, 'expected a rate <= 5000 per second'),
      read_share: z
        .number({ error: 'expected a share between 0 and 1' })
        .min(0, 'expected a share >= 0')
        .max(1, 'expected a share <= 1')
        .default(1),
      timeout_ms: z
        .number({ error: 'expected a timeout in milliseconds' })
        .positive('expected a timeout > 0')
        .max(600_000, 'expected a timeout <= 600000 ms'),
      max_requests: int(1, 10_000_000, 'a request bound').default(1_000_000),
    }),
    phases: z
      .array(phaseSchema, { error: 'expected a list of phases' })
      .min(1, 'expected at least one phase')
      .max(100, 'expected at most 100 phases'),
    bucket: duration('the bucket width').optional(),
    failsmall: z
      .strictObject({ hold_down: duration('the hold-down', true).default(defaultHoldDownS) })
      .default({ hold_down: defaultHoldDownS }),
  })
  .superRefine((s, ctx) => {
    if (s.region.endpoint !== s.region.zone && !s.region.endpoint.endsWith(`.${s.region.zone}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['region', 'endpoint'],
        message: `expected a name inside the zone ${s.region.zone}, got ${JSON.stringify(s.region.endpoint)}`,
      });
    }
    const kinds = s.phases.map((p) => p.kind);
    const race = kinds.indexOf('race');
    const check = (ok: boolean, index: number, message: string): void => {
      if (!ok) ctx.addIssue({ code: 'custom', path: ['phases', index, 'kind'], message });
    };
    for (const kind of ['race', 'empty', 'restore'] as const) {
      const first = kinds.indexOf(kind);
      const last = kinds.lastIndexOf(kind);
      if (first === -1)
        ctx.addIssue({ code: 'custom', path: ['phases'], message: `expected one phase of kind "${kind}", found none` });
      else check(first === last, last, `expected one phase of kind "${kind}", found another at phases[${first}]`);
    }
    const empty = kinds.indexOf('empty');
    const restore = kinds.indexOf('restore');
    if (race !== -1 && empty !== -1)
      check(empty === race + 1, empty, 'expected the "empty" phase right after the "race" phase');
    if (empty !== -1 && restore !== -1)
      check(restore === empty + 1, restore, 'expected the "restore" phase right after the "empty" phase');
    s.phases.forEach((p, i) => {
      if (p.duration <= 0)
        ctx.addIssue({ code: 'custom', path: ['phases', i, 'duration'], message: 'expected a phase length > 0' });
    });
    const total = s.phases.reduce((sum, p) => sum + p.duration, 0);
    if (s.bucket !== undefined && !(s.bucket > 0 && s.bucket <= total)) {
      ctx.addIssue({
        code: 'custom',
        path: ['bucket'],
        message: `expected a bucket width > 0 and <= the run (${formatDuration(total)})`,
      });
    }
  });

/** Input of {@link scenarioFileSchema}. */
export type ScenarioFile = Zod.input<typeof scenarioFileSchema>;

function build(file: Zod.output<typeof scenarioFileSchema>): Scenario {
  let t = 0;
  const phases: Phase[] = file.phases.map((p) => {
    const phase: Phase = {
      kind: p.kind,
      startS: t,
      durationS: p.duration,
      endS: t + p.duration,
      ...(p.at === undefined ? {} : { at: p.at }),
      ...(p.note === undefined ? {} : { note: p.note }),
    };
    t += p.duration;
    return phase;
  });
  // About 120 buckets over the run unless told: enough for a smooth chart, a few requests each.
  const bucketS = file.bucket ?? Math.max(1, Math.round(t / 120));
  return {
    name: file.name,
    speed: file.speed,
    seed: file.seed,
    region: {
      zone: file.region.zone,
      endpoint: file.region.endpoint,
      addresses: file.region.addresses,
      ttlS: file.region.ttl,
      negativeTtlS: file.region.negative_ttl,
      emptyAnswer: file.region.empty_answer,
    },
    table: {
      name: file.table.name,
      concurrency: file.table.concurrency,
      queue: file.table.queue,
      serviceTimeMs: file.table.service_time_ms,
      overload: file.table.overload,
      items: file.table.items,
      connectionMaxAgeS: file.table.connection_max_age,
    },
    load: {
      rate: file.load.rate,
      readShare: file.load.read_share,
      timeoutMs: file.load.timeout_ms,
      maxRequests: file.load.max_requests,
    },
    phases,
    bucketS,
    failsmall: { holdDownS: file.failsmall.hold_down },
    totalS: t,
  };
}

/**
 * Parses and validates a scenario from YAML (or JSON) text. Throws `FS_ERR_LAB_SCENARIO` naming the
 * field, with the line and column when the field is in the text:
 * `details: { field, line, col, issues: [{ field, message, line, col }] }`.
 *
 * @param source - a label for messages, usually the file name.
 * @example
 * const scenario = parseScenario(readFileSync('my.yaml', 'utf8'), 'my.yaml');
 */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  return build(parseYamlWith(yaml, text, scenarioFileSchema, source, 'FS_ERR_LAB_SCENARIO'));
}

/**
 * Parses YAML (or JSON) `text` and validates it with the zod `schema`, throwing `FS_ERR_LAB_SCENARIO`
 * as {@link parseScenario} does (the field named, with its line and column). Shared by every
 * scenario format of the lab.
 */
export function parseScenarioYaml<S extends Zod.ZodType>(schema: S, text: string, source: string): Zod.output<S> {
  return parseYamlWith(yaml, text, schema, source, 'FS_ERR_LAB_SCENARIO');
}

/** Returns the scenario with `speed` and/or `seed` replaced, validated like the file's own. */
export function withOverrides(scenario: Scenario, overrides: ScenarioOverrides): Scenario {
  const { speed, seed } = overrides;
  if (
    speed !== undefined &&
    !(typeof speed === 'number' && Number.isFinite(speed) && speed > 0 && speed <= 1_000_000)
  ) {
    throw new FailsmallError(
      'FS_ERR_LAB_SCENARIO',
      `speed: expected a speed > 0 and <= 1000000, got ${String(speed)}`,
      { details: { field: 'speed' } },
    );
  }
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new FailsmallError('FS_ERR_LAB_SCENARIO', `seed: expected an integer 0..4294967295, got ${String(seed)}`, {
      details: { field: 'seed' },
    });
  }
  return { ...scenario, ...(speed === undefined ? {} : { speed }), ...(seed === undefined ? {} : { seed }) };
}

/** The record's TTL on the wire, in whole real seconds: `max(1, round(ttl / speed))`. */
export function wireTtl(scenario: Scenario): number {
  return Math.max(1, Math.round(scenario.region.ttlS / scenario.speed));
}

/** The TTL the clients effectively see, in scenario seconds (the wire TTL times the speed). */
export function effectiveTtlS(scenario: Scenario): number {
  return wireTtl(scenario) * scenario.speed;
}

/** The run's real length in milliseconds. */
export function realDurationMs(scenario: Scenario): number {
  return (scenario.totalS / scenario.speed) * 1000;
}

/** The phase of a kind (every validated scenario has one race, one empty and one restore phase). */
export function phaseOf(scenario: Scenario, kind: Exclude<PhaseKind, 'steady'>): Phase {
  const phase = scenario.phases.find((p) => p.kind === kind);
  if (phase === undefined)
    throw new FailsmallError('FS_ERR_LAB_SCENARIO', `phases: no phase of kind "${kind}"`, {
      details: { field: 'phases' },
    });
  return phase;
}

/** The phase running at scenario second `t` (the last one past the end). */
export function phaseAt(scenario: Scenario, t: number): Phase {
  return scenario.phases.find((p) => t < p.endS) ?? scenario.phases[scenario.phases.length - 1]!;
}

/** The default scenario: the 2025-10-20 outage, about 106 real seconds at speed 120. */
export function defaultScenario(): Scenario {
  return parseScenario(defaultScenarioYaml, defaultScenarioName);
}

/**
 * The text of a scenario file, of any format. Throws `FS_ERR_LAB_SCENARIO` when it cannot be read
 * (the cause attached; `hint` ends the message).
 *
 * @example
 * const text = readScenarioText('my.yaml');
 */
export function readScenarioText(path: string, hint = ''): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new FailsmallError(
      'FS_ERR_LAB_SCENARIO',
      `${path}: cannot read the scenario file: ${(error as Error).message}${hint}`,
      { cause: error, details: { source: path, field: '(file)' } },
    );
  }
}

/**
 * Reads and validates a scenario file. Throws `FS_ERR_LAB_SCENARIO` when it cannot be read (the
 * cause attached) or is invalid.
 */
export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readScenarioText(path), path);
}
