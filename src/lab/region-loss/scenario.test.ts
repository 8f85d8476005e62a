import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isFailsmallError } from '../../core/index.js';
import { regionLossScenarioYaml } from './embedded.js';
import { isRegionLoss, loadAnyScenario, parseRegionLossScenario, regionLossScenario } from './scenario.js';

function repoRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src'))) return dir;
    if (dirname(dir) === dir) throw new Error('repository root not found');
  }
}

function rejects(text: string, field: string, line?: number): void {
  assert.throws(
    () => parseRegionLossScenario(text, 'rl.yaml'),
    (e: unknown) => {
      assert.ok(isFailsmallError(e, 'FS_ERR_LAB_SCENARIO'), String(e));
      const details = (e as unknown as { details: { field: string; line?: number } }).details;
      assert.equal(details.field, field, (e as Error).message);
      if (line !== undefined) assert.equal(details.line, line, (e as Error).message);
      return true;
    },
  );
}

describe('region-loss scenario', () => {
  it('embeds exactly the shipped YAML file, and the built-in one is valid', () => {
    const path = join(repoRoot(), 'src/lab/scenarios/region-loss.yaml');
    assert.equal(regionLossScenarioYaml, readFileSync(path, 'utf8'));
    const s = regionLossScenario();
    assert.deepEqual(loadAnyScenario(path), s);
    assert.deepEqual(loadAnyScenario('region-loss'), s);
    assert.ok(isRegionLoss(s));
    assert.equal(s.regions.primary.name, 'us-east-1');
    assert.equal(s.phases.lossAtMs, 8_000);
    assert.equal(s.phases.returnAtMs, 23_000);
    assert.equal(s.failsmall.failback.probeIntervalMs, 500);
  });

  it('reads the default format for a file without kind: region-loss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-rl-'));
    try {
      const file = join(dir, 'default.yaml');
      writeFileSync(file, readFileSync(join(repoRoot(), 'src/lab/scenarios/2025-10-20.yaml'), 'utf8'));
      assert.equal(isRegionLoss(loadAnyScenario(file)), false);
      assert.throws(
        () => loadAnyScenario(join(dir, 'missing.yaml')),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_LAB_SCENARIO') && /built-in scenarios: region-loss/.test(String(e)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the wrong field and its line', () => {
    const lines = regionLossScenarioYaml.split('\n');
    const lineOf = (start: string): number => lines.findIndex((l) => l.startsWith(start)) + 1;
    rejects(regionLossScenarioYaml.replace('loss: 15s', 'loss: soon'), 'phases.loss', lineOf('  loss:'));
    rejects(regionLossScenarioYaml.replace('replication_lag: 0.2s', 'replication_lag: 0s'), 'regions.replication_lag');
    rejects(
      regionLossScenarioYaml.replace('[127.0.2.1, 127.0.2.2]', '[127.0.1.1, 127.0.2.2]'),
      'regions.replica.addresses[0]',
    );
    rejects(regionLossScenarioYaml.replace('[127.0.2.1, 127.0.2.2]', '[10.0.0.1]'), 'regions.replica.addresses[0]');
    rejects(regionLossScenarioYaml.replace('rate: 40', 'rate: -1'), 'load.rate');
    rejects(
      regionLossScenarioYaml
        .replace('  probes: 3,', '  probes: 3, probe: 1,')
        .replace('probes: 3,', 'probes: 3, colour: 1,'),
      'failsmall.failback.colour',
    );
    rejects(regionLossScenarioYaml.replace('{ name: us-west-2', '{ name: us-east-1'), 'regions.replica.name');
  });
});
