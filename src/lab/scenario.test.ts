import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isFailsmallError } from '../core/index.js';
import { lineOf, scenarioParts, scenarioYaml, type PhaseSpec } from '../test-support/short-scenario.js';
import { defaultScenarioYaml } from './default-scenario.js';
import {
  defaultScenario,
  effectiveTtlS,
  formatDuration,
  loadScenarioFile,
  parseDuration,
  parseScenario,
  phaseAt,
  phaseOf,
  realDurationMs,
  wireTtl,
  withOverrides,
} from './scenario.js';

/** The repository root, found from this file in any build folder. */
function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    if (dirname(dir) === dir) throw new Error('repository root not found');
  }
}

/** The small test scenario with a TTL of 2 s on the wire. */
const base = scenarioParts({ name: 'short', region: { ttl: '20s' } });
const minimal = scenarioYaml({}, base);
/** The line of `minimal` that starts with `start`. */
const at = (start: string): number => lineOf(minimal, start);
/** The line of phase `index` (from 0). */
const phaseLine = (index: number): number => at('phases:') + 1 + index;
/** `base`'s phases with phase `index` changed to `phase`. */
const phasesWith = (index: number, phase: PhaseSpec): PhaseSpec[] =>
  base.phases.map((p, i) => (i === index ? phase : p));

function rejects(text: string, field: string, line?: number): void {
  assert.throws(
    () => parseScenario(text, 'bad.yaml'),
    (e) => {
      assert.ok(isFailsmallError(e, 'FS_ERR_LAB_SCENARIO'), String(e));
      assert.equal(e.details?.['field'], field, e.message);
      if (line !== undefined) assert.equal(e.details?.['line'], line, e.message);
      assert.ok(e.message.startsWith('bad.yaml:'), e.message);
      if (field !== '(root)') assert.ok(e.message.includes(field), e.message);
      return true;
    },
  );
}

describe('scenario', () => {
  it('parses durations and formats them back', () => {
    const seconds: [text: string | number, seconds: number][] = [
      ['2h37m', 9420],
      ['15m', 900],
      ['90s', 90],
      ['1h 0m 0.5s', 3600.5],
      [42, 42],
    ];
    for (const [text, expected] of seconds) assert.equal(parseDuration(text), expected, String(text));
    for (const bad of ['', 'soon', '5ms', '-1s', '1d', 'm', -1])
      assert.equal(parseDuration(bad), undefined, String(bad));
    assert.equal(formatDuration(9420), '2h37m');
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(61), '1m1s');
  });

  it('builds the timeline, defaults and compressed TTL', () => {
    const s = parseScenario(minimal);
    assert.deepEqual(
      s.phases.map((p) => [p.kind, p.startS, p.endS]),
      [
        ['steady', 0, 20],
        ['race', 20, 25],
        ['empty', 25, 60],
        ['restore', 60, 80],
        ['steady', 80, 100],
      ],
    );
    assert.equal(s.totalS, 100);
    assert.equal(s.seed, 1);
    assert.equal(s.table.name, 'orders');
    assert.equal(s.load.readShare, 1);
    assert.equal(s.table.connectionMaxAgeS, Infinity);
    assert.equal(s.failsmall.holdDownS, 300, "the resolver's own hold-down");
    assert.equal(
      parseScenario(scenarioYaml({ failsmall: { hold_down: 'never' } }, base)).failsmall.holdDownS,
      Infinity,
    );
    assert.equal(
      parseScenario(scenarioYaml({ table: { connection_max_age: '1m' } }, base)).table.connectionMaxAgeS,
      60,
    );
    assert.equal(wireTtl(s), 2);
    assert.equal(effectiveTtlS(s), 20);
    assert.equal(realDurationMs(s), 10_000);
    assert.equal(phaseOf(s, 'empty').startS, 25);
    assert.equal(phaseAt(s, 24.9).kind, 'race');
    assert.equal(phaseAt(s, 1e9).kind, 'steady');
    assert.equal(wireTtl(withOverrides(s, { speed: 1000 })), 1, 'never below one second on the wire');
  });

  it('ships a default scenario that follows OUTAGE.md and runs 1-2 minutes', () => {
    const s = defaultScenario();
    const empty = phaseOf(s, 'empty');
    const race = phaseOf(s, 'race');
    const restore = phaseOf(s, 'restore');
    assert.equal(race.durationS + empty.durationS, 2 * 3600 + 37 * 60, 'emptied 23:48, restored 02:25');
    assert.equal(s.region.negativeTtlS, 15 * 60, 'cached empty answers expire at 02:40');
    assert.equal(restore.durationS, 15 * 60);
    const real = realDurationMs(s) / 1000;
    assert.ok(real >= 60 && real <= 120, `${real} s`);
    assert.equal(s.region.addresses.length, 3);
  });

  it('embeds exactly the shipped YAML file', () => {
    const file = readFileSync(join(repoRoot(), 'src/lab/scenarios/2025-10-20.yaml'), 'utf8');
    assert.equal(defaultScenarioYaml, file);
    assert.deepEqual(loadScenarioFile(join(repoRoot(), 'src/lab/scenarios/2025-10-20.yaml')), defaultScenario());
  });

  it('rejects invalid files naming the field and its line', () => {
    const bad = (changes: Parameters<typeof scenarioYaml>[0]): string => scenarioYaml(changes, base);
    rejects(bad({ speed: -1 }), 'speed', at('speed:'));
    rejects(bad({ phases: phasesWith(2, ['empty', 'soon']) }), 'phases[2].duration', phaseLine(2));
    rejects(bad({ region: { addresses: ['10.0.0.1'] } }), 'region.addresses[0]', at('region:'));
    rejects(bad({ region: { endpoint: 'db.other.test' } }), 'region.endpoint', at('region:'));
    rejects(bad({ table: { queue: undefined } }), 'table.queue', at('table:'));
    rejects(bad({ phases: base.phases.filter(([kind]) => kind !== 'race') }), 'phases');
    rejects(bad({ phases: phasesWith(3, ['steady', '20s']) }), 'phases');
    rejects(bad({ phases: phasesWith(4, ['race', '5s']) }), 'phases[4].kind', phaseLine(4));
    rejects(bad({ phases: phasesWith(0, ['calm', '20s']) }), 'phases[0].kind', phaseLine(0));
    rejects(bad({ load: { burst: 3 } }), 'load.burst', at('load:'));
    rejects(minimal.replace('ttl: 20s', 'ttl: 20s, ttl: 30s'), '(root)', at('region:'));
    rejects(bad({ table: { connection_max_age: 'sometimes' } }), 'table.connection_max_age', at('table:'));
    // The shipped file is in block style: a field is named at its own line there.
    rejects(
      defaultScenarioYaml.replace('  queue: 16', '  queue: -1'),
      'table.queue',
      lineOf(defaultScenarioYaml, '  queue:'),
    );
    rejects('phases: [1, 2', '(root)');
    rejects('- just a list', '(root)');
  });

  it('reports an unreadable file with the same code', () => {
    assert.throws(
      () => loadScenarioFile('/nonexistent/scenario.yaml'),
      (e) => isFailsmallError(e, 'FS_ERR_LAB_SCENARIO'),
    );
  });

  it('validates overrides', () => {
    const s = parseScenario(minimal);
    assert.equal(withOverrides(s, { speed: 50, seed: 7 }).speed, 50);
    assert.throws(
      () => withOverrides(s, { speed: 0 }),
      (e) => isFailsmallError(e, 'FS_ERR_LAB_SCENARIO') && e.details?.['field'] === 'speed',
    );
    assert.throws(
      () => withOverrides(s, { seed: -1 }),
      (e) => isFailsmallError(e, 'FS_ERR_LAB_SCENARIO') && e.details?.['field'] === 'seed',
    );
  });
});
