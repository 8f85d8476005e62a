/**
 * The README's replay table: rendered tolerantly from a run's JSON, and the committed copy is
 * well-formed (one block, a header line with date, commit and Node version, one column count).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkReplayBlock,
  renderReplayBlock,
  replaceReplayBlock,
  README_REPLAY_CLOSE,
  README_REPLAY_OPEN,
} from './readme-table.js';

const at = { date: '2026-12-01', commit: 'abc1234', node: 'v20.20.2', machine: 'linux x64, 2 cores, load average 1.0' };
const group = (share: number) => ({
  requests: 100,
  success: share,
  requests_during_empty: 40,
  success_during_empty: share,
  read_success_during_empty: share,
  peak_amplification: 1.2,
  recovery_s: share === 1 ? 0 : null,
  p50_ms: 2,
  p99_ms: 9,
  dns_queries: 49,
});
const run = {
  scenario: { name: 'AWS us-east-1', compression: '120x', seed: 7, rate_per_s: 50 },
  empty_window: { from_s: 60, to_s: 3660, duration_s: 3600 },
  groups: { baseline: group(0.02), failsmall: group(1) },
  legacy_plan: { record_emptied: true, stuck: true },
  safe_plan: { record_emptied: false, stuck: false },
  targets: { a: { met: true }, b: { met: true } },
};
const wrap = (block: string) => `# x\n\n${README_REPLAY_OPEN}\n${block}\n${README_REPLAY_CLOSE}\n`;

describe('README replay table', () => {
  it('renders a run as a header line and a well-formed table', () => {
    const block = renderReplayBlock(run, at);
    assert.deepEqual(checkReplayBlock(wrap(block)), []);
    assert.match(block, /^Measured on 2026-12-01, commit abc1234, Node v20\.20\.2 /);
    assert.match(block, /\| reads ok while the record was empty \| 2\.0% \| 100% \|/);
    assert.match(block, /\| recovery after the restore \| never \| 0s \|/);
    assert.match(block, /Targets: 2 of 2 met\./);
  });

  it('tolerates missing and unknown sections', () => {
    const { groups, ...rest } = run;
    const partial = { ...rest, groups: { failsmall: { read_success_during_empty: 1 } }, next_link: { x: 1 } };
    const block = renderReplayBlock(partial, at);
    assert.deepEqual(checkReplayBlock(wrap(block)), []);
    assert.ok(groups);
    assert.match(block, /\| reads ok while the record was empty \| 100% \|/);
    assert.doesNotMatch(block, /DNS queries/);
    assert.match(block, /Also in the run's JSON: `next_link`/);
  });

  it('finds a malformed block', () => {
    assert.notDeepEqual(checkReplayBlock('no markers'), []);
    assert.notDeepEqual(checkReplayBlock(wrap('Measured sometime\n\n| a | b |\n|---|---:|\n| c |')), []);
    assert.throws(() => replaceReplayBlock('no markers', 'x'));
    assert.equal(replaceReplayBlock(wrap('old'), 'new'), wrap('new'));
  });

  const readme = fileURLToPath(new URL('../../README.md', import.meta.url));
  it(
    'the README has one well-formed replay table',
    { skip: !existsSync(readme) && 'no README beside the build' },
    () => {
      assert.deepEqual(checkReplayBlock(readFileSync(readme, 'utf8')), []);
    },
  );
});
