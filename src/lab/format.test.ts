import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProgress, formatSummary } from './format.js';
import type { ReplaySummary } from './replay.js';
import { scenarioYaml } from '../test-support/short-scenario.js';
import { parseScenario } from './scenario.js';
import type { GroupSummary } from './timeline.js';

const group = (over: Partial<GroupSummary>): GroupSummary & { dns_queries: number } => ({
  requests: 100,
  success: 1,
  requests_during_empty: 40,
  success_during_empty: 1,
  read_success_during_empty: 1,
  peak_amplification: 1,
  amplification: 1,
  recovery_s: 0,
  p50_ms: 5,
  p99_ms: 20,
  errors: {},
  dns_queries: 3,
  ...over,
});

function summary(emptiedAt: number | null): ReplaySummary {
  return {
    scenario: {
      name: 'demo',
      speed: 120,
      seed: 1,
      total_s: 600,
      real_s: 5,
      ttl_s: 240,
      ttl_wire_s: 2,
      effective_ttl_s: 240,
      negative_ttl_s: 900,
      rate_per_s: 50,
      compression: '120x',
    },
    empty_window: { from_s: 120, to_s: 420, duration_s: 300 },
    groups: {
      baseline: group({
        success_during_empty: 0.024,
        read_success_during_empty: 0.024,
        recovery_s: 900,
        peak_amplification: 1.61,
      }),
      failsmall: group({}),
    },
    legacy_plan: { record_emptied: emptiedAt !== null, emptied_at_s: emptiedAt },
    safe_plan: { record_emptied: false },
    targets: {
      failsmall_success_during_empty: { value: 1, target: '>= 0.999', met: true },
      other: { value: null, target: 'x', met: false },
    },
    region: { dns_queries: 6, table_requests: 200, table_rejected: 0 },
    failsmall_guard: {
      hold_down_ms: 2_500,
      reachable_within_ms: 2_500,
      max_hold_ms: 720_000,
      engagements: 1,
      releases: { recovered: 1 },
      reachable_reports: 40,
      unreachable_reports: 0,
    },
    aborted: emptiedAt === null,
    real_elapsed_s: 5,
  };
}

describe('format', () => {
  it('prints the groups side by side with the targets', () => {
    const text = formatSummary(summary(120));
    assert.match(text, /baseline\s+failsmall/);
    assert.match(text, /reads ok while the record was empty\s+2\.4%\s+100%/);
    assert.match(text, /recovery after the restore\s+15m\s+0s/);
    assert.match(text, /the record was empty from 2m to 7m \(5m of scenario time\)/);
    assert.match(text, /met\s+failsmall_success_during_empty = 1/);
    assert.match(text, /MISS\s+other = null/);
    assert.match(text, /plan, safe mode: {3}record never emptied/);
  });

  it('says so when the record was never seen empty, and when the run was stopped', () => {
    const text = formatSummary(summary(null));
    assert.match(text, /never seen empty during the run/);
    assert.match(text, /stopped before the end/);
  });

  it('prints one progress line', () => {
    const scenario = parseScenario(
      scenarioYaml({
        name: 'p',
        load: { rate: 1 },
        phases: [
          ['steady', '10s'],
          ['race', '10s'],
          ['empty', '60s'],
          ['restore', '20s'],
        ],
      }),
    );
    const line = formatProgress({
      atS: 50,
      totalS: 100,
      phase: scenario.phases[2]!,
      success: { baseline: 0, failsmall: 1 },
      recordAddresses: 0,
    });
    assert.equal(line, '[ 50%]     50s  empty    baseline   0%  failsmall 100%  record 0 addresses');
    assert.ok(!line.includes('\n'));
  });
});
