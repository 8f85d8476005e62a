/**
 * The one builder of the lab's test scenarios: {@link scenarioYaml} writes a replay scenario's YAML
 * (the format of `src/lab/scenarios/2025-10-20.yaml`, one flow mapping per section) from the parts a
 * test cares about, on top of a base. Two bases:
 *
 * - {@link smallScenario}: 100 scenario seconds at speed 10 on `example.test`, for tests that parse,
 *   bucket, format or render a scenario without running it;
 * - {@link shortReplayScenario}: a replay of a few real seconds for the end-to-end tests (the CLI's
 *   and the lab's), {@link shortReplayScenarioYaml}.
 */

/** A YAML scalar or a flow list of scalars. */
export type YamlValue = string | number | boolean | readonly (string | number)[];

/** One phase: kind, duration (`20s`, `2m`), and optionally its wall-clock time on the day. */
export type PhaseSpec = readonly [kind: string, duration: string, at?: string];

/** A section: its fields in YAML spelling (`negative_ttl`); an `undefined` field is left out. */
export type Section = Readonly<Record<string, YamlValue | undefined>>;

/** The parts of a scenario, in YAML spelling. Top-level scalars left `undefined` are left out. */
export interface ScenarioParts {
  readonly name: string;
  readonly speed: number;
  readonly seed?: number | undefined;
  readonly region: Section;
  readonly table: Section;
  readonly load: Section;
  readonly bucket?: string | undefined;
  readonly phases: readonly PhaseSpec[];
  readonly failsmall?: Section | undefined;
}

/** What a test changes: sections are merged field by field into the base's, phases replace them. */
export type ScenarioChanges = Partial<Omit<ScenarioParts, 'region' | 'table' | 'load' | 'failsmall'>> & {
  readonly region?: Section;
  readonly table?: Section;
  readonly load?: Section;
  readonly failsmall?: Section;
};

/**
 * 100 s of scenario at speed 10: steady 0-20, race 20-25, empty 25-60, restore 60-80, steady 80-100;
 * one address, TTLs of 10 s, a table of one slot and one queue place, 10 requests per second.
 */
export const smallScenario: ScenarioParts = {
  name: 't',
  speed: 10,
  region: {
    zone: 'example.test',
    endpoint: 'db.example.test',
    addresses: ['127.0.0.2'],
    ttl: '10s',
    negative_ttl: '10s',
  },
  table: { concurrency: 1, queue: 1, service_time_ms: 1 },
  load: { rate: 10, timeout_ms: 100 },
  phases: [
    ['steady', '20s'],
    ['race', '5s'],
    ['empty', '35s'],
    ['restore', '20s'],
    ['steady', '20s'],
  ],
};

/**
 * A replay of a few real seconds, for the lab's end-to-end tests: 25 scenario minutes at 240x =
 * 6.25 s. The record's TTL is 1 s on the wire and connections live 0.25 s, so the baseline keeps
 * its addresses at most 1.25 s of the 4 s empty window: its reads fail for most of it, whatever the
 * timing of the machine.
 */
export const shortReplayScenario: ScenarioParts = {
  name: 'short replay',
  speed: 240,
  seed: 7,
  region: {
    zone: 'amazonaws.com',
    endpoint: 'dynamodb.us-east-1.amazonaws.com',
    addresses: ['127.0.0.2', '127.0.0.3'],
    ttl: '4m',
    negative_ttl: '4m',
  },
  table: { concurrency: 4, queue: 16, service_time_ms: 2, connection_max_age: '1m', items: 100 },
  load: { rate: 40, timeout_ms: 2000, read_share: 0.9 },
  bucket: '1m',
  phases: [
    ['steady', '2m'],
    ['race', '1m'],
    ['empty', '16m'],
    ['restore', '4m'],
    ['steady', '2m'],
  ],
};

function flowValue(value: YamlValue): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

function flowMapping(section: Section): string {
  const fields = Object.entries(section).filter((entry): entry is [string, YamlValue] => entry[1] !== undefined);
  return `{ ${fields.map(([key, value]) => `${key}: ${flowValue(value)}`).join(', ')} }`;
}

/** `base` with `changes` (see {@link ScenarioChanges}). */
export function scenarioParts(changes: ScenarioChanges, base: ScenarioParts = smallScenario): ScenarioParts {
  return {
    ...base,
    ...changes,
    region: { ...base.region, ...changes.region },
    table: { ...base.table, ...changes.table },
    load: { ...base.load, ...changes.load },
    failsmall:
      base.failsmall === undefined && changes.failsmall === undefined
        ? undefined
        : { ...base.failsmall, ...changes.failsmall },
  };
}

/**
 * The YAML of `base` with `changes`, one line per section and per phase.
 *
 * @example
 * parseScenario(scenarioYaml({ bucket: '10s', load: { rate: 1 } })); // the small scenario, 1 request/s
 */
export function scenarioYaml(changes: ScenarioChanges = {}, base: ScenarioParts = smallScenario): string {
  const parts = scenarioParts(changes, base);
  const lines = [`name: ${parts.name}`, `speed: ${parts.speed}`];
  if (parts.seed !== undefined) lines.push(`seed: ${parts.seed}`);
  lines.push(
    `region: ${flowMapping(parts.region)}`,
    `table: ${flowMapping(parts.table)}`,
    `load: ${flowMapping(parts.load)}`,
  );
  if (parts.bucket !== undefined) lines.push(`bucket: ${parts.bucket}`);
  if (parts.failsmall !== undefined) lines.push(`failsmall: ${flowMapping(parts.failsmall)}`);
  lines.push('phases:');
  for (const [kind, duration, at] of parts.phases) {
    lines.push(`  - ${flowMapping({ kind, duration, at })}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The YAML of {@link shortReplayScenario}. */
export const shortReplayScenarioYaml = scenarioYaml({}, shortReplayScenario);

/** The 1-based line of `text` that starts with `start` (0 when none does): where a parser should point. */
export function lineOf(text: string, start: string): number {
  return text.split('\n').findIndex((line) => line.startsWith(start)) + 1;
}
