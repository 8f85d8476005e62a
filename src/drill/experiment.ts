/**
 * The experiment file: Chaos Toolkit's format (https://chaostoolkit.org/reference/api/experiment/),
 * in JSON or YAML, with its field names and meanings: `title`, `description`, `tags`,
 * `configuration` (values, `{ type: env, key, default, env_var_type }`), `steady-state-hypothesis` (`title`,
 * `probes` with a `tolerance` each), `method` (actions and probes, `pauses.before`/`after` in
 * seconds, `background`, `ref`), `rollbacks`, `runtime.rollbacks.strategy`, `extensions`. Providers
 * are Chaos Toolkit's `http` and `process`, and `failsmall` (`func` + `arguments`, see providers.ts).
 * failsmall's own settings live in the extension named `failsmall`: the services under test that the
 * drill spawns, the polling that measures detection and recovery, and the write/read-back probe that
 * measures lost writes. `${key}` in any string is replaced by the configuration value `key`
 * (`{ type: free-port }` picks a free loopback port for the run).
 *
 * The whole file is validated before anything runs; an error names the field and its line:
 * `drill.yaml:14:9: method[1].pauses.after: expected a number of seconds >= 0, got "soon"`.
 */
import { dirname, resolve } from 'node:path';
import type * as Zod from 'zod';
import { formatPath, loadYaml, readTextFile, readYamlText } from '../chaos/yaml-text.js';
import { FailsmallError } from '../core/errors.js';
import { requirePeer } from '../core/optional-peer.js';
import { funcNames, checkFuncArguments } from './funcs.js';

// yaml and zod are optional peers, loaded when this module is first imported (FS_ERR_MISSING_PEER names them).
const yaml = await loadYaml('the experiment reader of failsmall drill');
const { z } = requirePeer<typeof Zod>('zod', 'the experiment reader of failsmall drill');

const seconds = z.number({ error: 'expected a number of seconds >= 0' }).finite().min(0, 'expected seconds >= 0');
const str = z.string({ error: 'expected a string' });
/** Seconds, or a `${key}` of the configuration (checked when the run resolves it). */
const secondsOrKey = z.union([seconds, z.string().regex(/^\$\{[^}]+\}$/)], {
  error: 'expected a number of seconds >= 0 or a ${key}',
});

/** A tolerance: a value (equality, or membership of a list), or a typed check. */
const toleranceSchema = z.union(
  [
    z.boolean(),
    z.number(),
    z.string(),
    z.array(z.unknown()),
    z.looseObject({ type: z.literal('range'), range: z.tuple([z.number(), z.number()]), target: str.optional() }),
    z.looseObject({ type: z.literal('regex'), pattern: str, target: str.optional() }),
    z.looseObject({
      type: z.literal('jsonpath'),
      path: str,
      expect: z.unknown().optional(),
      target: str.optional(),
      count: z.number().int().min(0).optional(),
    }),
    z.looseObject({ type: z.literal('probe'), name: str.optional(), provider: z.looseObject({ type: str }) }),
  ],
  { error: 'expected a tolerance: a value, a list, or an object of type range, regex, jsonpath or probe' },
);

const httpProviderSchema = z.strictObject({
  type: z.literal('http'),
  url: str,
  method: str.optional(),
  headers: z.record(z.string(), z.string()).optional(),
  arguments: z.unknown().optional(),
  timeout: z.union([seconds, z.tuple([seconds, seconds])]).optional(),
  expected_status: z.number().int().optional(),
  secrets: z.unknown().optional(),
});

const processProviderSchema = z.strictObject({
  type: z.literal('process'),
  path: str,
  arguments: z.union([str, z.array(str)]).optional(),
  timeout: seconds.optional(),
  secrets: z.unknown().optional(),
});

const failsmallProviderSchema = z.strictObject({
  type: z.literal('failsmall'),
  func: str,
  arguments: z.record(z.string(), z.unknown()).optional(),
});

const activitySchema = z.union([
  z.strictObject({ ref: str }),
  z.strictObject({
    type: z.enum(['action', 'probe'], { error: 'expected "action" or "probe"' }),
    name: str.min(1, 'expected a name'),
    provider: z.looseObject({ type: str }),
    tolerance: toleranceSchema.optional(),
    pauses: z.strictObject({ before: secondsOrKey.optional(), after: secondsOrKey.optional() }).optional(),
    background: z.boolean().optional(),
    controls: z.never({ error: 'controls are not supported by failsmall drill' }).optional(),
  }),
]);

const configValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.strictObject({
    type: z.literal('env'),
    key: str,
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    // Chaos Toolkit's conversion of the variable's text; without it, the type of `default`.
    env_var_type: z.enum(['str', 'int', 'float', 'bool']).optional(),
  }),
  z.strictObject({ type: z.literal('free-port') }),
]);

const serviceSchema = z.strictObject({
  name: str.regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected 1-64 letters, digits, - or _'),
  command: z.array(str).min(1, 'expected a command and its arguments'),
  cwd: str.optional(),
  env: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  ready: z.strictObject({ http: str.optional(), tcp: str.optional(), timeout_s: seconds.optional() }).optional(),
});

const failsmallExtensionSchema = z.strictObject({
  name: z.literal('failsmall'),
  services: z.array(serviceSchema).optional(),
  setup: z.array(z.looseObject({})).optional(),
  measure: z
    .strictObject({
      poll_interval_s: z.number().finite().positive('expected seconds > 0').optional(),
      recovery_timeout_s: seconds.optional(),
      fault_activity: str.optional(),
      failback_activity: str.optional(),
    })
    .optional(),
  rpo: z
    .strictObject({ url: str, interval_s: z.number().finite().positive('expected seconds > 0').optional() })
    .optional(),
});

const experimentSchema = z.strictObject({
  version: z.union([z.string(), z.number()]).optional(),
  title: str.min(1, 'expected a title'),
  description: str,
  tags: z.array(str).optional(),
  contributions: z.record(z.string(), z.string()).optional(),
  configuration: z.record(z.string(), configValueSchema).optional(),
  secrets: z.record(z.string(), z.unknown()).optional(),
  'steady-state-hypothesis': z.strictObject({ title: str, probes: z.array(activitySchema).optional() }).optional(),
  method: z.array(activitySchema).min(1, 'expected at least one activity'),
  rollbacks: z.array(activitySchema).optional(),
  runtime: z
    .looseObject({
      rollbacks: z.strictObject({ strategy: z.enum(['default', 'always', 'never', 'deviated']) }).optional(),
      hypothesis: z.looseObject({ strategy: z.enum(['default', 'continuously']).optional() }).optional(),
    })
    .optional(),
  extensions: z.array(z.looseObject({ name: str })).optional(),
  controls: z.never({ error: 'controls are not supported by failsmall drill' }).optional(),
});

/** A tolerance as written (Chaos Toolkit): a value, a list, or `{ type: range|regex|jsonpath|probe }`. */
export type Tolerance = Zod.output<typeof toleranceSchema>;

/** Chaos Toolkit's HTTP provider: `{ status, headers, body }` is the probe's value. */
export type HttpProvider = Zod.output<typeof httpProviderSchema>;
/** Chaos Toolkit's process provider: `{ status, stdout, stderr }` is the probe's value. */
export type ProcessProvider = Zod.output<typeof processProviderSchema>;
/** A failsmall provider: `func` names one of {@link funcNames}. */
export type FailsmallProvider = Zod.output<typeof failsmallProviderSchema>;
/** Any provider the runner has. */
export type Provider = HttpProvider | ProcessProvider | FailsmallProvider;

/** An action or a probe, with its `ref` resolved. */
export interface Activity {
  readonly type: 'action' | 'probe';
  readonly name: string;
  readonly provider: Provider;
  readonly tolerance?: Tolerance;
  /** Seconds to wait before and after the activity (or a `${key}` of the configuration). */
  readonly pauses?: { readonly before?: number | string | undefined; readonly after?: number | string | undefined };
  /** Run without waiting for it; the method waits for every background activity at its end. */
  readonly background?: boolean;
  /** Where the activity is, for messages: `method[2]`. */
  readonly field: string;
}

/** A service under test, spawned by the drill (and killed or restarted by it). */
export type ServiceSpec = Zod.output<typeof serviceSchema>;

/** A configuration value as written. */
export type ConfigValue = Zod.output<typeof configValueSchema>;

/** A validated experiment. */
export interface Experiment {
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly configuration: Readonly<Record<string, ConfigValue>>;
  readonly hypothesis: { readonly title: string; readonly probes: readonly Activity[] } | undefined;
  readonly method: readonly Activity[];
  readonly rollbacks: readonly Activity[];
  /** `runtime.rollbacks.strategy`: `default` and `always` run them always, `deviated` only then. */
  readonly rollbackStrategy: 'always' | 'deviated' | 'never';
  readonly services: readonly ServiceSpec[];
  /** Seconds between two checks of the hypothesis while the method runs; default 0.5 s. */
  readonly pollIntervalS: number;
  /** Seconds to keep polling after the method for the steady state to come back; default 30 s. */
  readonly recoveryTimeoutS: number;
  /** Activities run after the services start and before the steady state is checked (not measured). */
  readonly setup: readonly Activity[];
  /** The activity whose start is the fault (default the method's first action). */
  readonly faultActivity: string | undefined;
  /** The activity whose start is the failback (default the first `region-failback`), if any. */
  readonly failbackActivity: string | undefined;
  /** The write/read-back probe: `PUT {url}/{key}` then `GET {url}/{key}`. */
  readonly rpo: { readonly url: string; readonly intervalS: number } | undefined;
  /** The file it came from (for messages) and its folder (services run there). */
  readonly source: string;
  readonly baseDir: string;
}

interface Located {
  readonly source: string;
  where(path: readonly (string | number)[]): { line?: number; col?: number };
}

function fail(
  code: 'FS_ERR_DRILL_INVALID' | 'FS_ERR_DRILL_UNKNOWN_PROVIDER',
  at: Located,
  path: readonly (string | number)[],
  message: string,
): never {
  const field = formatPath(path) || '(root)';
  const { line, col } = at.where(path);
  const prefix = line === undefined ? at.source : `${at.source}:${line}:${col}`;
  throw new FailsmallError(code, `${prefix}: ${field}: ${message}`, {
    details: { source: at.source, field, line, col },
  });
}

const placeholder = /\$\{([^}]+)\}/g;

/** Every `${key}` in the strings of `value`, with the path where it was found. */
function* placeholders(value: unknown, path: (string | number)[]): Generator<[string, (string | number)[]]> {
  if (typeof value === 'string') {
    for (const m of value.matchAll(placeholder)) yield [m[1]!, path];
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* placeholders(value[i], [...path, i]);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) yield* placeholders(v, [...path, k]);
  }
}

/**
 * Parses and validates an experiment from JSON or YAML text. Throws `FS_ERR_DRILL_INVALID` naming
 * the field and its line, or `FS_ERR_DRILL_UNKNOWN_PROVIDER` for a provider or func this runner does
 * not have; `details: { field, line, col }`.
 *
 * @param source - a label for messages, usually the file name.
 * @param baseDir - where services run and relative paths start; default the current directory.
 * @example
 * const experiment = parseExperiment(readFileSync('drill.yaml', 'utf8'), 'drill.yaml');
 */
export function parseExperiment(text: string, source = 'experiment', baseDir = process.cwd()): Experiment {
  const read = readYamlText(yaml, text, source, 'FS_ERR_DRILL_INVALID', 'not valid JSON or YAML: ');
  const at: Located = { source, where: (path) => read.locate(path) ?? {} };
  const data = read.data;
  const parsed = experimentSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let path = issue.path as (string | number)[];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      path = [...path, issue.keys[0]!];
      message = 'unknown field; check its spelling and nesting';
    } else if (issue.code === 'invalid_union' && 'errors' in issue) {
      // The branch that got furthest says most: report its first issue.
      const deepest = (issue.errors as { path: PropertyKey[]; message: string }[][])
        .flat()
        .sort((a, b) => b.path.length - a.path.length)[0];
      if (deepest !== undefined && deepest.path.length > 0) {
        path = [...path, ...(deepest.path as (string | number)[])];
        message = deepest.message;
      }
    }
    fail('FS_ERR_DRILL_INVALID', at, path, message);
  }
  const file = parsed.data;
  const ext = (file.extensions ?? []).find((e) => e.name === 'failsmall');
  const extIndex = (file.extensions ?? []).findIndex((e) => e.name === 'failsmall');
  let fs: Zod.output<typeof failsmallExtensionSchema> = { name: 'failsmall' };
  if (ext !== undefined) {
    const r = failsmallExtensionSchema.safeParse(ext);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      let path = ['extensions', extIndex, ...(issue.path as (string | number)[])];
      let message = issue.message;
      if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
        path = [...path, issue.keys[0]!];
        message = 'unknown field; check its spelling and nesting';
      }
      fail('FS_ERR_DRILL_INVALID', at, path, message);
    }
    fs = r.data;
  }

  // Activities by name, for `ref`.
  type Raw = Zod.output<typeof activitySchema>;
  const named = new Map<string, Raw>();
  const lists: [string, readonly Raw[]][] = [
    ['steady-state-hypothesis.probes', file['steady-state-hypothesis']?.probes ?? []],
    ['method', file.method],
    ['rollbacks', file.rollbacks ?? []],
  ];
  for (const [, list] of lists) for (const a of list) if (!('ref' in a)) named.set(a.name, a);

  const services = fs.services ?? [];
  const serviceNames = new Set<string>();
  services.forEach((s, i) => {
    if (serviceNames.has(s.name))
      fail(
        'FS_ERR_DRILL_INVALID',
        at,
        ['extensions', extIndex, 'services', i, 'name'],
        `duplicate service "${s.name}"`,
      );
    serviceNames.add(s.name);
  });

  const toActivity = (raw: Raw, path: (string | number)[]): Activity => {
    let a = raw;
    if ('ref' in a) {
      const target = named.get(a.ref);
      if (target === undefined || 'ref' in target)
        fail('FS_ERR_DRILL_INVALID', at, [...path, 'ref'], `no activity named "${a.ref}"`);
      a = target;
    }
    const provider = checkProvider(a.provider, [...path, 'provider'], at, serviceNames);
    if (
      a.type === 'probe' &&
      a.tolerance !== undefined &&
      typeof a.tolerance === 'object' &&
      !Array.isArray(a.tolerance)
    )
      if (a.tolerance.type === 'probe')
        checkProvider(a.tolerance['provider'], [...path, 'tolerance', 'provider'], at, serviceNames);
    return {
      type: a.type,
      name: a.name,
      provider,
      ...(a.tolerance === undefined ? {} : { tolerance: a.tolerance }),
      ...(a.pauses === undefined ? {} : { pauses: a.pauses }),
      ...(a.background === undefined ? {} : { background: a.background }),
      field: formatPath(path),
    };
  };

  const hypothesisRaw = file['steady-state-hypothesis'];
  const hypothesis =
    hypothesisRaw === undefined
      ? undefined
      : {
          title: hypothesisRaw.title,
          probes: (hypothesisRaw.probes ?? []).map((p, i) => {
            const a = toActivity(p, ['steady-state-hypothesis', 'probes', i]);
            if (a.type !== 'probe')
              fail('FS_ERR_DRILL_INVALID', at, ['steady-state-hypothesis', 'probes', i, 'type'], 'expected a probe');
            if (a.tolerance === undefined)
              fail(
                'FS_ERR_DRILL_INVALID',
                at,
                ['steady-state-hypothesis', 'probes', i],
                'a steady-state probe needs a tolerance',
              );
            return a;
          }),
        };
  const method = file.method.map((a, i) => toActivity(a, ['method', i]));
  const rollbacks = (file.rollbacks ?? []).map((a, i) => toActivity(a, ['rollbacks', i]));
  const setup = (fs.setup ?? []).map((raw, i) => {
    const path = ['extensions', extIndex, 'setup', i];
    const r = activitySchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      fail('FS_ERR_DRILL_INVALID', at, [...path, ...(issue.path as (string | number)[])], issue.message);
    }
    return toActivity(r.data, path);
  });

  const configuration = file.configuration ?? {};
  for (const [key, path] of placeholders(data, [])) {
    if (path[0] === 'configuration') continue;
    if (!(key in configuration)) fail('FS_ERR_DRILL_INVALID', at, path, `\${${key}} is not a configuration key`);
  }

  const failbackActivity =
    fs.measure?.failback_activity ??
    method.find((a) => a.provider.type === 'failsmall' && a.provider.func === 'region-failback')?.name;
  const faultActivity = fs.measure?.fault_activity;
  for (const [field, name] of [
    ['failback_activity', failbackActivity],
    ['fault_activity', faultActivity],
  ] as const) {
    if (name !== undefined && !method.some((a) => a.name === name))
      fail(
        'FS_ERR_DRILL_INVALID',
        at,
        ['extensions', extIndex, 'measure', field],
        `no method activity named "${name}"`,
      );
  }

  const strategy = file.runtime?.rollbacks?.strategy ?? 'default';
  const pollIntervalS = fs.measure?.poll_interval_s ?? 0.5;
  return {
    title: file.title,
    description: file.description,
    tags: file.tags ?? [],
    configuration,
    hypothesis,
    method,
    rollbacks,
    rollbackStrategy: strategy === 'default' ? 'always' : strategy,
    services,
    setup,
    faultActivity,
    pollIntervalS,
    recoveryTimeoutS: fs.measure?.recovery_timeout_s ?? 30,
    failbackActivity,
    rpo: fs.rpo === undefined ? undefined : { url: fs.rpo.url, intervalS: fs.rpo.interval_s ?? pollIntervalS },
    source,
    baseDir,
  };
}

function checkProvider(
  raw: { type: string } & Record<string, unknown>,
  path: (string | number)[],
  at: Located,
  services: ReadonlySet<string>,
): Provider {
  const schema =
    raw.type === 'http'
      ? httpProviderSchema
      : raw.type === 'process'
        ? processProviderSchema
        : raw.type === 'failsmall'
          ? failsmallProviderSchema
          : undefined;
  if (schema === undefined)
    fail(
      'FS_ERR_DRILL_UNKNOWN_PROVIDER',
      at,
      [...path, 'type'],
      `unknown provider type "${raw.type}"; failsmall drill runs http, process and failsmall providers`,
    );
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    let p = [...path, ...(issue.path as (string | number)[])];
    let message = issue.message;
    if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) {
      p = [...p, issue.keys[0]!];
      message = 'unknown field; check its spelling and nesting';
    }
    fail('FS_ERR_DRILL_INVALID', at, p, message);
  }
  const provider = r.data;
  if (provider.type === 'failsmall') {
    if (!funcNames.includes(provider.func))
      fail(
        'FS_ERR_DRILL_UNKNOWN_PROVIDER',
        at,
        [...path, 'func'],
        `unknown failsmall func "${provider.func}"; expected one of ${funcNames.join(', ')}`,
      );
    const problem = checkFuncArguments(provider.func, provider.arguments ?? {}, services);
    if (problem !== undefined)
      fail('FS_ERR_DRILL_INVALID', at, [...path, 'arguments', ...problem.path], problem.message);
  }
  return provider;
}

/**
 * Reads and validates an experiment file (see {@link parseExperiment}); services run in its folder.
 * Throws `FS_ERR_DRILL_INVALID` when it cannot be read.
 */
export function loadExperimentFile(path: string): Experiment {
  return parseExperiment(readTextFile(path, 'FS_ERR_DRILL_INVALID', 'experiment file'), path, dirname(resolve(path)));
}
